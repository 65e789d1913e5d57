//! [`StringList`]: a guest's arguments or environment packed as the guest gets them — each
//! string followed by a NUL, end to end in one buffer — so that building one costs two
//! allocations whatever its length, and `args_get`/`environ_get` copy it out in one piece.

/// Strings without NUL bytes, each stored NUL-terminated, end to end.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StringList {
    /// The strings, each followed by a NUL.
    bytes: Vec<u8>,
    /// Where each string ends in `bytes` (the offset of its NUL).
    ends: Vec<u32>,
}

impl StringList {
    /// An empty list.
    pub fn new() -> StringList {
        StringList::default()
    }

    /// An empty list with room for `count` strings of `bytes` bytes in all.
    pub fn with_capacity(count: usize, bytes: usize) -> StringList {
        StringList {
            bytes: Vec::with_capacity(bytes + count),
            ends: Vec::with_capacity(count),
        }
    }

    /// Appends `s`, or refuses it (false, nothing appended) when it holds a NUL byte or the
    /// list would pass 4 GiB.
    pub fn push(&mut self, s: &[u8]) -> bool {
        self.push_parts(&[s])
    }

    /// Appends the concatenation of `parts` as one string (as [`Self::push`]).
    pub fn push_parts(&mut self, parts: &[&[u8]]) -> bool {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let Ok(end) = u32::try_from(self.bytes.len() + len) else {
            return false;
        };
        if parts.iter().any(|p| p.contains(&0)) {
            return false;
        }
        for p in parts {
            self.bytes.extend_from_slice(p);
        }
        self.bytes.push(0);
        self.ends.push(end);
        true
    }

    /// How many strings there are.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The strings (without their NULs), in order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().map(|&e| e as usize + 1));
        starts
            .zip(self.ends.iter())
            .map(|(start, &end)| &self.bytes[start..end as usize])
    }

    /// Every string with its NUL, end to end: what the guest's buffer receives.
    pub fn packed(&self) -> &[u8] {
        &self.bytes
    }

    /// The offset of each string in [`Self::packed`].
    pub fn offsets(&self) -> impl Iterator<Item = u32> + '_ {
        std::iter::once(0)
            .chain(self.ends.iter().map(|&e| e + 1))
            .take(self.ends.len())
    }
}

impl<'a> FromIterator<&'a [u8]> for StringList {
    /// Collects strings, leaving out any that [`StringList::push`] refuses.
    fn from_iter<I: IntoIterator<Item = &'a [u8]>>(iter: I) -> StringList {
        let mut list = StringList::new();
        for s in iter {
            list.push(s);
        }
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_strings_with_their_nuls_and_refuses_inner_nuls() {
        let mut l = StringList::with_capacity(2, 8);
        assert!(l.is_empty());
        assert!(l.push(b"A=1"));
        assert!(l.push_parts(&[b"B", b"=", b"x=y"]));
        assert!(l.push(b""));
        assert!(!l.push(b"C\0=1"));
        assert!(!l.push_parts(&[b"D=", b"\0"]));
        assert_eq!(l.len(), 3);
        assert_eq!(l.packed(), b"A=1\0B=x=y\0\0");
        assert_eq!(l.offsets().collect::<Vec<_>>(), [0, 4, 10]);
        let strings: Vec<&[u8]> = l.iter().collect();
        assert_eq!(strings, [&b"A=1"[..], b"B=x=y", b""]);
        assert_eq!(StringList::new().offsets().count(), 0);
        let collected: StringList = strings.into_iter().collect();
        assert_eq!(collected, l);
    }
}

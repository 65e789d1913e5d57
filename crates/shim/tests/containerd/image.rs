//! OCI image archives written from scratch, for `ctr image import`: a tar of `oci-layout`,
//! `index.json` and `blobs/sha256/...` (the manifest, the image config and the layers), with
//! nothing downloaded. A layer is either a tar of files (the container's root filesystem) or a
//! raw wasm module with the media type `application/wasm`, as runwasi's OCI wasm images have.

use sha2::{Digest, Sha256};

/// A file of a layer: its path (relative, no leading `/`), mode and bytes.
pub struct File<'a> {
    pub path: &'a str,
    pub mode: u32,
    pub bytes: &'a [u8],
}

/// One layer of an image.
pub enum Layer<'a> {
    /// A tar of files, unpacked into the root filesystem.
    Files(Vec<File<'a>>),
    /// A wasm module as a layer of its own (`application/wasm`).
    Wasm(&'a [u8]),
}

/// What an image is: its name, layers, entrypoint and platform.
pub struct Image<'a> {
    /// The full reference containerd files it under, such as `docker.io/library/probe:1`.
    pub name: &'a str,
    pub layers: Vec<Layer<'a>>,
    pub entrypoint: Vec<&'a str>,
    /// `(os, architecture)`: `("linux", "amd64")` or runwasi's `("wasip1", "wasm")`.
    pub platform: (&'a str, &'a str),
}

/// The `sha256:...` digest of `bytes`, as OCI descriptors write it.
pub fn sha256_digest(bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

/// A blob of the archive: its media type, bytes and `sha256:` digest.
struct Blob {
    media_type: String,
    bytes: Vec<u8>,
    digest: String,
}

impl Blob {
    fn new(media_type: &str, bytes: Vec<u8>) -> Blob {
        let digest = sha256_digest(&bytes);
        Blob {
            media_type: media_type.to_string(),
            bytes,
            digest,
        }
    }

    fn descriptor(&self) -> String {
        format!(
            r#"{{"mediaType":"{}","digest":"{}","size":{}}}"#,
            self.media_type,
            self.digest,
            self.bytes.len()
        )
    }
}

fn json_strings(items: &[&str]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|s| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect();
    format!("[{}]", quoted.join(","))
}

impl Image<'_> {
    /// The image as an OCI archive (a tar) for `ctr image import`.
    pub fn archive(&self) -> Vec<u8> {
        let layers: Vec<Blob> = self
            .layers
            .iter()
            .map(|layer| match layer {
                Layer::Files(files) => {
                    Blob::new("application/vnd.oci.image.layer.v1.tar", tar(files))
                }
                Layer::Wasm(module) => Blob::new("application/wasm", module.to_vec()),
            })
            .collect();
        let diff_ids: Vec<&str> = layers.iter().map(|l| l.digest.as_str()).collect();
        let (os, arch) = self.platform;
        let config = Blob::new(
            "application/vnd.oci.image.config.v1+json",
            format!(
                r#"{{"architecture":"{arch}","os":"{os}","config":{{"Entrypoint":{},"Env":["PATH=/"],"WorkingDir":"/"}},"rootfs":{{"type":"layers","diff_ids":{}}}}}"#,
                json_strings(&self.entrypoint),
                json_strings(&diff_ids)
            )
            .into_bytes(),
        );
        let layer_descriptors: Vec<String> = layers.iter().map(Blob::descriptor).collect();
        let manifest = Blob::new(
            "application/vnd.oci.image.manifest.v1+json",
            format!(
                r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[{}]}}"#,
                config.descriptor(),
                layer_descriptors.join(",")
            )
            .into_bytes(),
        );
        let index = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"{}","digest":"{}","size":{},"platform":{{"os":"{os}","architecture":"{arch}"}},"annotations":{{"io.containerd.image.name":"{}","org.opencontainers.image.ref.name":"latest"}}}}]}}"#,
            manifest.media_type,
            manifest.digest,
            manifest.bytes.len(),
            self.name
        );
        let mut entries: Vec<(String, Vec<u8>)> = vec![
            (
                "oci-layout".into(),
                br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
            ),
            ("index.json".into(), index.into_bytes()),
        ];
        for blob in layers.into_iter().chain([config, manifest]) {
            let path = format!("blobs/sha256/{}", &blob.digest["sha256:".len()..]);
            entries.push((path, blob.bytes));
        }
        let files: Vec<File> = entries
            .iter()
            .map(|(path, bytes)| File {
                path,
                mode: 0o644,
                bytes,
            })
            .collect();
        tar(&files)
    }
}

/// A ustar archive of `files` (their parent directories are added first).
pub fn tar(files: &[File]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut dirs: Vec<String> = Vec::new();
    for f in files {
        for (end, _) in f.path.match_indices('/') {
            let parent = f.path[..=end].to_string();
            if !dirs.contains(&parent) {
                out.extend(header(&parent, 0o755, 0, b'5'));
                dirs.push(parent);
            }
        }
        out.extend(header(f.path, f.mode, f.bytes.len(), b'0'));
        out.extend_from_slice(f.bytes);
        out.resize(out.len().next_multiple_of(512), 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

/// A ustar header block.
fn header(path: &str, mode: u32, size: usize, kind: u8) -> [u8; 512] {
    assert!(path.len() < 100, "tar path too long: {path}");
    let mut h = [0u8; 512];
    h[..path.len()].copy_from_slice(path.as_bytes());
    let mut field = |at: usize, width: usize, value: u64| {
        let text = format!("{value:0w$o}\0", w = width - 1);
        h[at..at + width].copy_from_slice(text.as_bytes());
    };
    field(100, 8, u64::from(mode));
    field(108, 8, 0); // uid
    field(116, 8, 0); // gid
    field(124, 12, size as u64);
    field(136, 12, 0); // mtime
    h[156] = kind;
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let text = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(text.as_bytes());
    h
}

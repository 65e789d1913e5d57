//! The WAGI/CGI 1.1 contract: what a program gets for a request (its environment and argv) and
//! how its standard output becomes a response (headers, a blank line, the body; `Status:` sets
//! the code, `Location:` alone redirects, and output with none of `Content-Type`, `Status` or
//! `Location` is not a response).

use std::ffi::OsString;
use std::io::Write;
use std::net::SocketAddr;

use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{StatusCode, Version};
use percent_encoding::percent_decode_str;
use wexe_wasi::StringList;

use crate::config::ModuleSpec;

/// What the environment is made of, besides the module's configuration.
pub struct RequestInfo<'a> {
    pub method: &'a str,
    /// The path as sent, still percent-encoded.
    pub path: &'a str,
    pub query: &'a str,
    pub version: Version,
    /// The URI's authority: what HTTP/2 sends instead of a `Host` header.
    pub authority: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub remote: SocketAddr,
    pub local: SocketAddr,
    pub body_len: usize,
}

fn version_name(v: Version) -> &'static str {
    match v {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_2 => "HTTP/2.0",
        Version::HTTP_3 => "HTTP/3.0",
        _ => "HTTP/1.1",
    }
}

fn decode(text: &str) -> String {
    percent_decode_str(text).decode_utf8_lossy().into_owned()
}

/// The program's environment: the module's own variables, then the CGI ones and a variable
/// per request header (which replace the module's), then `overrides` (the command line's, which
/// replace them all). `raw_path_info` is the part of the raw path after the route. Built in one
/// buffer: a request's environment costs a handful of allocations, not two per variable.
///
/// The error names a variable whose value holds a NUL byte (a path with `%00`), which no
/// environment can pass.
pub fn environment(
    spec: &ModuleSpec,
    raw_path_info: &str,
    req: &RequestInfo,
    overrides: &[(OsString, OsString)],
) -> Result<StringList, String> {
    let count = spec.environment.len() + 24 + req.headers.len() + overrides.len();
    let mut env = EnvBuilder::with_capacity(count);
    for (name, value) in &spec.environment {
        env.set(name.as_bytes(), |b| b.extend_from_slice(value.as_bytes()));
    }
    let local;
    let host_header = req.headers.get(hyper::header::HOST).map(|h| h.to_str());
    let host = match (host_header, req.authority) {
        (Some(Ok(host)), _) => host,
        (None, Some(authority)) => {
            // HTTP/2: the authority stands for the Host header, as the program expects one.
            env.set(b"HTTP_HOST", text(authority));
            authority
        }
        _ => {
            local = req.local.to_string();
            &local
        }
    };
    let server_name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    let path_info = percent_decode_str(raw_path_info).decode_utf8_lossy();
    env.set(b"REQUEST_METHOD", text(req.method));
    env.set(b"QUERY_STRING", text(req.query));
    env.set(b"SCRIPT_NAME", text(spec.route.script_name()));
    env.set(b"PATH_INFO", text(&path_info));
    env.set(b"PATH_TRANSLATED", text(&path_info));
    env.set(b"X_RAW_PATH_INFO", text(raw_path_info));
    env.set(b"X_MATCHED_ROUTE", |b| {
        let _ = write!(b, "{}", spec.route);
    });
    env.set(b"X_FULL_URL", |b| {
        let _ = match req.query {
            "" => write!(b, "http://{host}{}", req.path),
            q => write!(b, "http://{host}{}?{q}", req.path),
        };
    });
    env.set(b"CONTENT_LENGTH", |b| {
        let _ = write!(b, "{}", req.body_len);
    });
    let content_type = req.headers.get(hyper::header::CONTENT_TYPE);
    env.set(b"CONTENT_TYPE", |b| {
        b.extend_from_slice(content_type.map_or(&[][..], |v| v.as_bytes()));
    });
    env.set(b"SERVER_NAME", text(server_name));
    env.set(b"SERVER_PORT", |b| {
        let _ = write!(b, "{}", req.local.port());
    });
    env.set(b"SERVER_PROTOCOL", text(version_name(req.version)));
    env.set(
        b"SERVER_SOFTWARE",
        text(concat!("wexe/", env!("CARGO_PKG_VERSION"))),
    );
    env.set(b"GATEWAY_INTERFACE", text("CGI/1.1"));
    env.set(b"REMOTE_ADDR", |b| {
        let _ = write!(b, "{}", req.remote.ip());
    });
    env.copy(b"REMOTE_HOST", b"REMOTE_ADDR");
    env.set(b"AUTH_TYPE", |_| {});
    env.set(b"REMOTE_USER", |_| {});
    let mut var = Vec::with_capacity(64);
    for (name, value) in req.headers {
        // As CGI: `Authorization` is not passed on, and the two above have their own names.
        if name == hyper::header::AUTHORIZATION
            || name == hyper::header::CONTENT_TYPE
            || name == hyper::header::CONTENT_LENGTH
        {
            continue;
        }
        var.clear();
        var.extend_from_slice(b"HTTP_");
        var.extend(name.as_str().bytes().map(|c| match c {
            b'-' => b'_',
            c => c.to_ascii_uppercase(),
        }));
        env.add_header(&var, &String::from_utf8_lossy(value.as_bytes()));
    }
    for (name, value) in overrides {
        env.set(name.as_encoded_bytes(), |b| {
            b.extend_from_slice(value.as_encoded_bytes())
        });
    }
    env.finish()
}

/// A value for [`EnvBuilder::set`]: `t` as it is.
fn text(t: &str) -> impl FnOnce(&mut Vec<u8>) + '_ {
    move |b| b.extend_from_slice(t.as_bytes())
}

/// Where one variable lies in an [`EnvBuilder`]'s buffer.
struct Var {
    start: usize,
    /// The `=` after its name.
    eq: usize,
    end: usize,
    /// False once a later setting replaced it.
    live: bool,
}

/// `NAME=VALUE` entries end to end in one buffer; setting a name again replaces its entry.
struct EnvBuilder {
    bytes: Vec<u8>,
    vars: Vec<Var>,
    /// A bit per name set so far ([`name_bit`]): most names are set once, and a clear bit
    /// spares [`EnvBuilder::find`] its scan of every earlier variable.
    names: u64,
}

/// One of 64 bits picked by a name's length and its first and last bytes.
fn name_bit(name: &[u8]) -> u64 {
    let (first, last) = (name.first().copied(), name.last().copied());
    let mix =
        name.len() as u32 * 31 + u32::from(first.unwrap_or(0)) * 7 + u32::from(last.unwrap_or(0));
    1 << (mix % 64)
}

impl EnvBuilder {
    fn with_capacity(vars: usize) -> EnvBuilder {
        EnvBuilder {
            bytes: Vec::with_capacity(vars * 40),
            vars: Vec::with_capacity(vars),
            names: 0,
        }
    }

    fn find(&self, name: &[u8]) -> Option<usize> {
        if self.names & name_bit(name) == 0 {
            return None;
        }
        self.vars
            .iter()
            .position(|v| v.live && &self.bytes[v.start..v.eq] == name)
    }

    /// Sets `name` to what `value` writes, replacing an earlier setting.
    fn set(&mut self, name: &[u8], value: impl FnOnce(&mut Vec<u8>)) {
        if let Some(i) = self.find(name) {
            self.vars[i].live = false;
        }
        self.names |= name_bit(name);
        let start = self.bytes.len();
        self.bytes.extend_from_slice(name);
        let eq = self.bytes.len();
        self.bytes.push(b'=');
        value(&mut self.bytes);
        let end = self.bytes.len();
        self.vars.push(Var {
            start,
            eq,
            end,
            live: true,
        });
    }

    /// Where the value of `name` lies in the buffer, if it is set.
    fn value_of(&self, name: &[u8]) -> Option<std::ops::Range<usize>> {
        self.find(name)
            .map(|i| self.vars[i].eq + 1..self.vars[i].end)
    }

    /// Sets `name` to the value of `from` (which is set).
    fn copy(&mut self, name: &[u8], from: &[u8]) {
        let value = self.value_of(from);
        self.set(name, |b| {
            if let Some(range) = value {
                b.extend_from_within(range);
            }
        });
    }

    /// Sets the variable of a header; a repeated header's values are joined with `, `.
    fn add_header(&mut self, name: &[u8], value: &str) {
        let earlier = self.value_of(name).filter(|range| !range.is_empty());
        self.set(name, |b| {
            if let Some(range) = earlier {
                b.extend_from_within(range);
                b.extend_from_slice(b", ");
            }
            b.extend_from_slice(value.as_bytes());
        });
    }

    /// The entries still set, in order; the name of one that holds a NUL byte, if any.
    fn finish(self) -> Result<StringList, String> {
        let mut list = StringList::with_capacity(self.vars.len(), self.bytes.len());
        for v in self.vars.iter().filter(|v| v.live) {
            if !list.push(&self.bytes[v.start..v.end]) {
                return Err(String::from_utf8_lossy(&self.bytes[v.start..v.eq]).into_owned());
            }
        }
        Ok(list)
    }
}

/// The program's argv: `template`'s words, `${SCRIPT_NAME}` replaced by the script name and a
/// word `${ARGS}` by the query's parameters, one word each, percent-decoded (`+` as space).
pub fn argv(template: &str, script_name: &str, query: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in template.split_whitespace() {
        if word == "${ARGS}" {
            let params = query.split('&').filter(|p| !p.is_empty());
            out.extend(params.map(|p| decode(&p.replace('+', " "))));
        } else {
            out.push(word.replace("${SCRIPT_NAME}", script_name));
        }
    }
    out
}

/// A response made from a program's output.
#[derive(Debug)]
pub struct CgiResponse {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Where the body starts in the output.
    pub body_start: usize,
}

/// Reads the headers of a program's output; the reason it is not a response otherwise.
pub fn parse_output(out: &[u8]) -> Result<CgiResponse, String> {
    let mut at = 0;
    let mut status = None;
    let mut headers = Vec::new();
    let (mut has_type, mut location) = (false, false);
    loop {
        let Some(nl) = out[at..].iter().position(|&b| b == b'\n') else {
            return Err("the output has no blank line after its headers".into());
        };
        let line = &out[at..at + nl];
        at += nl + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        let text = std::str::from_utf8(line).map_err(|_| "a header is not UTF-8".to_string())?;
        let (name, value) = text
            .split_once(':')
            .ok_or_else(|| format!("header line `{}` has no `:`", text.escape_debug()))?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            let code = value.split_whitespace().next().unwrap_or("");
            let code = code
                .parse::<u16>()
                .ok()
                .and_then(|c| StatusCode::from_u16(c).ok());
            status = Some(code.ok_or_else(|| format!("bad status `{}`", value.escape_debug()))?);
            continue;
        }
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| format!("bad header name `{}`", name.escape_debug()))?;
        let value =
            HeaderValue::from_str(value).map_err(|_| format!("bad value for header `{name}`"))?;
        has_type |= name == hyper::header::CONTENT_TYPE;
        location |= name == hyper::header::LOCATION;
        headers.push((name, value));
    }
    let status = match status {
        Some(s) => s,
        None if location && !has_type => StatusCode::FOUND,
        None if has_type || location => StatusCode::OK,
        None => return Err("the output has none of Content-Type, Status or Location".into()),
    };
    Ok(CgiResponse {
        status,
        headers,
        body_start: at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Settings replace earlier ones of the same name (moving it last), headers join, copies
    /// read the current value, and names that share a bit of the builder's filter stay apart;
    /// checked against a plain list of pairs.
    #[test]
    fn the_environment_builder_keeps_the_last_setting_of_each_name() {
        let names: [&[u8]; 6] = [b"HTTP_X", b"HTTQ_X", b"HOST_X", b"A", b"PATH_INFO", b""];
        assert_eq!(
            name_bit(names[0]),
            name_bit(names[1]),
            "a shared bit is exercised"
        );
        let mut env = EnvBuilder::with_capacity(4);
        let mut model: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        let put = |model: &mut Vec<(Vec<u8>, Vec<u8>)>, name: &[u8], value: Vec<u8>| {
            model.retain(|(n, _)| n != name);
            model.push((name.to_vec(), value));
        };
        for step in 0..60usize {
            let name = names[(step * 7 + step / 5) % names.len()];
            let value = format!("v{step}").into_bytes();
            match step % 3 {
                0 => {
                    env.set(name, |b| b.extend_from_slice(&value));
                    put(&mut model, name, value);
                }
                1 => {
                    env.add_header(name, std::str::from_utf8(&value).unwrap());
                    let joined = match model.iter().find(|(n, _)| n == name) {
                        Some((_, old)) if !old.is_empty() => [&old[..], b", ", &value].concat(),
                        _ => value,
                    };
                    put(&mut model, name, joined);
                }
                _ => {
                    let from = names[step % 4];
                    if let Some((_, v)) = model.iter().find(|(n, _)| n == from).cloned() {
                        env.copy(name, from);
                        put(&mut model, name, v);
                    }
                }
            }
        }
        let list = env.finish().unwrap();
        let got: Vec<Vec<u8>> = list.iter().map(|e| e.to_vec()).collect();
        let want: Vec<Vec<u8>> = model
            .iter()
            .map(|(n, v)| [&n[..], b"=", v].concat())
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn outputs_and_their_responses() {
        let r = parse_output(b"Content-Type: text/plain\n\nhello").unwrap();
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body_start, 26);
        let r = parse_output(b"Status: 404 Not Found\r\nContent-Type: text/html\r\n\r\nx").unwrap();
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.headers.len(), 1);
        let r = parse_output(b"Location: /elsewhere\n\n").unwrap();
        assert_eq!(r.status, StatusCode::FOUND);
        let r = parse_output(b"Status: 301\nLocation: /x\n\n").unwrap();
        assert_eq!(r.status, StatusCode::MOVED_PERMANENTLY);
        assert!(parse_output(b"X-Thing: 1\n\nbody").is_err());
        assert!(parse_output(b"hello world").is_err());
        assert!(parse_output(b"Content-Type text/plain\n\n").is_err());
        assert!(parse_output(b"Status: abc\nContent-Type: a/b\n\n").is_err());
        assert!(parse_output(b"").is_err());
    }

    #[test]
    fn argv_from_the_template() {
        assert_eq!(
            argv(crate::config::DEFAULT_ARGV, "/api", "a=1&b+c&d%20e"),
            ["/api", "a=1", "b c", "d e"]
        );
        assert_eq!(argv("${SCRIPT_NAME}x -v", "/s", "q"), ["/sx", "-v"]);
        assert_eq!(argv(crate::config::DEFAULT_ARGV, "", ""), [""]);
    }
}

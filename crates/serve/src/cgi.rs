//! The WAGI/CGI 1.1 contract: what a program gets for a request (its environment and argv) and
//! how its standard output becomes a response (headers, a blank line, the body; `Status:` sets
//! the code, `Location:` alone redirects, and output with none of `Content-Type`, `Status` or
//! `Location` is not a response).

use std::net::SocketAddr;

use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{StatusCode, Version};
use percent_encoding::percent_decode_str;

use crate::config::ModuleSpec;

/// What the environment is made of, besides the module's configuration.
pub struct RequestInfo<'a> {
    pub method: &'a str,
    /// The path as sent, still percent-encoded.
    pub path: &'a str,
    pub query: &'a str,
    pub version: Version,
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

/// The program's environment: the module's own variables, then the CGI ones (which win).
/// `raw_path_info` is the part of the raw path after the route.
pub fn environment(
    spec: &ModuleSpec,
    raw_path_info: &str,
    req: &RequestInfo,
) -> Vec<(String, String)> {
    // Room for the module's variables, the CGI ones and a variable per header, at once.
    let mut env: Vec<(String, String)> =
        Vec::with_capacity(spec.environment.len() + 20 + req.headers.len());
    env.extend_from_slice(&spec.environment);
    let host = req
        .headers
        .get(hyper::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map_or_else(|| req.local.to_string(), str::to_string);
    let server_name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name.to_string(),
        _ => host.clone(),
    };
    let full_url = match req.query {
        "" => format!("http://{host}{}", req.path),
        q => format!("http://{host}{}?{q}", req.path),
    };
    let content_type = req.headers.get(hyper::header::CONTENT_TYPE);
    let remote_ip = req.remote.ip().to_string();
    let cgi = [
        ("REQUEST_METHOD", req.method.to_string()),
        ("QUERY_STRING", req.query.to_string()),
        ("SCRIPT_NAME", spec.route.script_name().to_string()),
        ("PATH_INFO", decode(raw_path_info)),
        ("PATH_TRANSLATED", decode(raw_path_info)),
        ("X_RAW_PATH_INFO", raw_path_info.to_string()),
        ("X_MATCHED_ROUTE", spec.route.to_string()),
        ("X_FULL_URL", full_url),
        ("CONTENT_LENGTH", req.body_len.to_string()),
        (
            "CONTENT_TYPE",
            content_type
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string(),
        ),
        ("SERVER_NAME", server_name),
        ("SERVER_PORT", req.local.port().to_string()),
        ("SERVER_PROTOCOL", version_name(req.version).to_string()),
        (
            "SERVER_SOFTWARE",
            format!("wexe/{}", env!("CARGO_PKG_VERSION")),
        ),
        ("GATEWAY_INTERFACE", "CGI/1.1".to_string()),
        ("REMOTE_HOST", remote_ip.clone()),
        ("REMOTE_ADDR", remote_ip),
        ("AUTH_TYPE", String::new()),
        ("REMOTE_USER", String::new()),
    ];
    for (name, value) in cgi {
        set(&mut env, name.to_string(), value);
    }
    for (name, value) in req.headers {
        // As CGI: `Authorization` is not passed on, and the two above have their own names.
        if name == hyper::header::AUTHORIZATION
            || name == hyper::header::CONTENT_TYPE
            || name == hyper::header::CONTENT_LENGTH
        {
            continue;
        }
        let var = format!(
            "HTTP_{}",
            name.as_str().to_ascii_uppercase().replace('-', "_")
        );
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        set(&mut env, var, value);
    }
    env
}

/// Sets `name` (replacing an earlier value; repeated headers are joined with `, `).
fn set(env: &mut Vec<(String, String)>, name: String, value: String) {
    match env.iter_mut().find(|(n, _)| *n == name) {
        Some((_, v)) if name.starts_with("HTTP_") && !v.is_empty() => {
            v.push_str(", ");
            v.push_str(&value);
        }
        Some((_, v)) => *v = value,
        None => env.push((name, value)),
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

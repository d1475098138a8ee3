//! The HTTP side of verify and revoke: the validated base URL, one blocking
//! `ureq` agent (rustls, timeouts on every phase, no redirects, no cookies), and
//! one request at a time turned into an [`Answer`]. It does not judge answers,
//! retry or wait: `verify::engine` does.
//!
//! A key goes only into the `Authorization` header of a request to the base URL.
//! Nothing here puts it into a URL, a message or an error: transport errors are
//! described in our own words, never with ureq's `Display`.

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use ureq::http::Uri;

/// The configured API root: `https://host[:port][/prefix]`, or `http://` on a
/// loopback host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    /// Without a trailing slash; request paths (`/v1/...`) are appended.
    pub url: String,
    pub loopback: bool,
}

impl BaseUrl {
    /// `host[:port]`, as messages name the API.
    pub fn host(&self) -> &str {
        let rest = self
            .url
            .split_once("://")
            .map_or(self.url.as_str(), |(_, r)| r);
        rest.split('/').next().unwrap_or(rest)
    }

    pub fn parse(s: &str) -> Result<BaseUrl> {
        let bad = |why: &str| anyhow!("--api-url {s:?}: {why}");
        let uri: Uri = s.trim().parse().map_err(|_| bad("not a URL"))?;
        let scheme = uri.scheme_str().ok_or_else(|| bad("not a URL"))?;
        let authority = uri.authority().ok_or_else(|| bad("no host"))?;
        if authority.as_str().contains('@') {
            return Err(bad("credentials in the URL are not allowed"));
        }
        let host = authority.host();
        if host.is_empty() {
            return Err(bad("no host"));
        }
        if uri.query().is_some() {
            return Err(bad("a query string is not allowed"));
        }
        let loopback = is_loopback(host);
        match scheme.to_ascii_lowercase().as_str() {
            "https" => {}
            "http" if loopback => {}
            "http" => bail!(
                "--api-url {s:?}: plain http is refused (keys would travel unencrypted): use https (http is allowed for loopback hosts only)"
            ),
            _ => return Err(bad("the scheme must be https")),
        }
        let path = uri.path().trim_end_matches('/');
        let url = format!("{}://{}{}", scheme.to_ascii_lowercase(), authority, path);
        Ok(BaseUrl { url, loopback })
    }
}

/// `127.0.0.0/8`, `::1` (also as `[::1]` and IPv4-mapped), `localhost`.
pub fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    let h = h.strip_suffix('.').unwrap_or(h);
    if h.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match h.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_loopback(),
        Ok(IpAddr::V6(v6)) => {
            v6 == Ipv6Addr::LOCALHOST || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => false,
    }
}

/// What the rate-limit headers of an answer said (absent or unparseable: `None`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateInfo {
    pub remaining: Option<u64>,
    /// Unix time, seconds.
    pub reset: Option<u64>,
    /// `Retry-After`, seconds.
    pub retry_after: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Json(serde_json::Value),
    NotJson,
}

impl Body {
    /// `error.code` of the documented error body.
    pub fn error_code(&self) -> Option<&str> {
        match self {
            Body::Json(v) => v.get("error")?.get("code")?.as_str(),
            Body::NotJson => None,
        }
    }
}

/// One request's result.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Http {
        status: u16,
        body: Body,
        rate: RateInfo,
    },
    /// No (complete) HTTP answer: timed out, refused, dropped... (our words, or
    /// the TLS library's, which never quote the request).
    Transport(String),
}

/// Largest body read from the API; the documented bodies are tiny.
const MAX_BODY: u64 = 64 * 1024;

pub struct Client {
    agent: ureq::Agent,
    base: BaseUrl,
}

impl Client {
    pub fn new(base: &BaseUrl, timeout: Duration) -> Client {
        let t = Some(timeout);
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // A redirect is an answer of the service, never followed: the key
            // must not go anywhere but the base URL.
            .max_redirects(0)
            .https_only(!base.loopback)
            .timeout_resolve(t)
            .timeout_connect(t)
            .timeout_send_request(t)
            .timeout_send_body(t)
            .timeout_recv_response(t)
            .timeout_recv_body(t)
            .timeout_per_read(t)
            .user_agent(concat!("qrcp-scan/", env!("CARGO_PKG_VERSION")));
        if base.loopback {
            // Test servers on this machine: never through a proxy from the environment.
            config = config.proxy(None);
        }
        Client {
            agent: config.build().new_agent(),
            base: base.clone(),
        }
    }

    /// `host[:port]` of the API.
    pub fn host(&self) -> &str {
        self.base.host()
    }

    /// `GET` (no body) or `POST` (a JSON body) of `path` with `key` as the bearer.
    pub fn send(&self, path: &str, key: &str, body: Option<&serde_json::Value>) -> Answer {
        let url = format!("{}{}", self.base.url, path);
        let auth = format!("Bearer {key}");
        let result = match body {
            None => self
                .agent
                .get(&url)
                .header("Authorization", &auth)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .call(),
            Some(b) => self
                .agent
                .post(&url)
                .header("Authorization", &auth)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .send(serde_json::to_vec(b).unwrap_or_default()),
        };
        let mut response = match result {
            Ok(r) => r,
            Err(e) => {
                return Answer::Transport(describe(
                    e,
                    !self.base.loopback || self.base.url.starts_with("https:"),
                ));
            }
        };
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let rate = RateInfo {
            remaining: header("x-ratelimit-remaining"),
            reset: header("x-ratelimit-reset"),
            retry_after: header("retry-after"),
        };
        let bytes = match response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
        {
            Ok(b) => b,
            Err(ureq::Error::BodyExceedsLimit(_)) => {
                return Answer::Http {
                    status,
                    body: Body::NotJson,
                    rate,
                };
            }
            Err(e) => {
                return Answer::Transport(describe(
                    e,
                    !self.base.loopback || self.base.url.starts_with("https:"),
                ));
            }
        };
        let body = match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(v) if v.is_object() => Body::Json(v),
            _ => Body::NotJson,
        };
        Answer::Http { status, body, rate }
    }
}

/// A transport error in our own words, naming the cause (ureq's messages may quote
/// the URL; ours never quote anything). TLS errors keep rustls's words, which name
/// the certificate problem and never the request.
fn describe(e: ureq::Error, https: bool) -> String {
    use std::io::ErrorKind;
    let s = match e {
        ureq::Error::Timeout(_) => "timed out",
        ureq::Error::HostNotFound => "DNS lookup failed: host not found",
        ureq::Error::ConnectionFailed => "connection failed",
        ureq::Error::Io(io) => match io.kind() {
            ErrorKind::ConnectionRefused => "connection refused",
            ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::UnexpectedEof
            | ErrorKind::BrokenPipe => "connection dropped before an answer",
            ErrorKind::TimedOut | ErrorKind::WouldBlock => "timed out",
            ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable => "host unreachable",
            // rustls's errors come wrapped in an I/O error of this kind.
            ErrorKind::InvalidData if https && io.get_ref().is_some() => {
                let tls = io.get_ref().map(ToString::to_string).unwrap_or_default();
                return format!("TLS failed: {tls}");
            }
            // The standard resolver's failure (getaddrinfo) has no kind of its own.
            _ if io.to_string().contains("lookup address") => "DNS lookup failed: host not found",
            _ => "network error",
        },
        ureq::Error::Rustls(e) => return format!("TLS failed: {e}"),
        ureq::Error::Tls(_) | ureq::Error::Pem(_) | ureq::Error::TlsRequired => "TLS failed",
        ureq::Error::Protocol(_) | ureq::Error::LargeResponseHeader(..) => "not an HTTP answer",
        ureq::Error::TooManyRedirects | ureq::Error::RedirectFailed => "redirected",
        _ => "request failed",
    };
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_http_on_loopback_only() {
        let b = BaseUrl::parse("https://api.qrcodepro.io/").unwrap();
        assert_eq!(b.url, "https://api.qrcodepro.io");
        assert!(!b.loopback);
        assert_eq!(
            BaseUrl::parse("https://example.com:8443/api/").unwrap().url,
            "https://example.com:8443/api"
        );
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://localhost:9",
            "http://LOCALHOST",
            "http://[::1]:80",
        ] {
            assert!(BaseUrl::parse(ok).unwrap().loopback, "{ok}");
        }
        for bad in [
            "http://example.com",
            "http://10.0.0.1",
            "http://128.0.0.1",
            "http://localhost.example.com",
            "http://[::2]",
            "ftp://127.0.0.1",
            "https://user:pw@example.com",
            "https://example.com/?k=v",
            "example.com",
            "",
        ] {
            assert!(BaseUrl::parse(bad).is_err(), "{bad}");
        }
        let e = BaseUrl::parse("http://example.com")
            .unwrap_err()
            .to_string();
        assert!(e.contains("plain http is refused"), "{e}");
    }
}

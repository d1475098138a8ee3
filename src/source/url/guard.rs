//! Which addresses `url` may connect to, checked where the connection is made.
//!
//! A page decides which URLs we fetch (its scripts, their maps), so with
//! `--cross-origin` a hostile page could point us at the machine we run on or at a
//! cloud metadata service. The check therefore sits in the resolver that ureq
//! calls for every connection: a name is resolved once, its addresses are checked
//! and pinned for the whole run, and ureq connects to exactly those addresses (a
//! name that resolves to a public address first and to `169.254.169.254` next
//! keeps its first answer). No proxy is used, so the address checked is the
//! address connected to.
//!
//! Policy, unless `--allow-private-addresses`:
//! - link-local addresses (`169.254.0.0/16`, `fe80::/10`, where cloud metadata
//!   services live), known metadata addresses and names are never connected to;
//! - loopback, private (`10/8`, `172.16/12`, `192.168/16`, `100.64/10`), unique
//!   local (`fc00::/7`) and other non-public addresses only when they are an
//!   address of a host named on the command line (`qrcp-scan url
//!   http://127.0.0.1:8080/` may fetch `127.0.0.1` and nothing else local).

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Mutex};

use ureq::http::Uri;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// Host names of cloud metadata services (lower case, no trailing dot).
const METADATA_NAMES: &[&str] = &[
    "metadata",
    "metadata.google.internal",
    "metadata.goog",
    "metadata.azure.internal",
    "instance-data",
    "instance-data.ec2.internal",
];

/// Addresses of cloud metadata services outside link-local ranges.
fn is_metadata(ip: IpAddr) -> bool {
    match ip {
        // Alibaba Cloud.
        IpAddr::V4(v4) => v4 == Ipv4Addr::new(100, 100, 100, 200),
        // AWS over IPv6.
        IpAddr::V6(v6) => v6 == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254),
    }
}

/// Why an address is not a public one (`None` when it is).
pub fn non_public(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => non_public_v4(v4),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            // IPv4 inside IPv6: mapped (`::ffff:a.b.c.d`), NAT64 (`64:ff9b::/96`),
            // 6to4 (`2002:aabb:ccdd::/48`).
            if let Some(v4) = v6.to_ipv4_mapped() {
                return non_public_v4(v4);
            }
            if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                return non_public_v4(Ipv4Addr::from((u32::from(s[6]) << 16) | u32::from(s[7])));
            }
            if s[0] == 0x2002 {
                return non_public_v4(Ipv4Addr::from((u32::from(s[1]) << 16) | u32::from(s[2])));
            }
            if v6.is_loopback() {
                Some("loopback")
            } else if v6.is_unspecified() {
                Some("unspecified")
            } else if s[0] & 0xffc0 == 0xfe80 {
                Some("link-local")
            } else if s[0] & 0xffc0 == 0xfec0 {
                Some("site-local")
            } else if s[0] & 0xfe00 == 0xfc00 {
                Some("unique local")
            } else if s[0] & 0xff00 == 0xff00 {
                Some("multicast")
            } else if s[..6] == [0, 0, 0, 0, 0, 0] {
                // IPv4-compatible (deprecated): `::a.b.c.d`.
                non_public_v4(Ipv4Addr::from((u32::from(s[6]) << 16) | u32::from(s[7])))
            } else {
                None
            }
        }
    }
}

fn non_public_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if ip.is_private() {
        Some("private")
    } else if a == 100 && (64..128).contains(&b) {
        Some("shared (carrier-grade NAT)")
    } else if a == 0 {
        Some("unspecified")
    } else if a == 192 && b == 0 && c == 0 {
        Some("reserved")
    } else if a >= 224 {
        Some("multicast or reserved")
    } else {
        None
    }
}

/// Never connected to without `--allow-private-addresses`, even when named on the
/// command line: where metadata services answer.
fn forbidden(ip: IpAddr) -> bool {
    is_metadata(ip) || non_public(ip) == Some("link-local")
}

/// A host name as compared: lower case, without brackets or a trailing dot.
pub fn host_key(host: &str) -> String {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

/// Whether a host name is that of a metadata service.
pub fn is_metadata_name(host: &str) -> bool {
    METADATA_NAMES.contains(&host_key(host).as_str())
}

#[derive(Debug, Default)]
struct State {
    /// Hosts named on the command line.
    asked_hosts: HashSet<String>,
    /// Their addresses: the non-public addresses that may be connected to.
    asked_ips: HashSet<IpAddr>,
    /// Every resolution of the run, checked: `(host, port)` → addresses.
    pinned: HashMap<(String, u16), Vec<SocketAddr>>,
}

/// The address policy of one `url` run, shared by its resolver.
#[derive(Debug)]
pub struct Guard {
    allow_private: bool,
    state: Mutex<State>,
}

impl Guard {
    pub fn new(allow_private: bool) -> Arc<Guard> {
        Arc::new(Guard {
            allow_private,
            state: Mutex::new(State::default()),
        })
    }

    /// Marks a host named on the command line: its addresses, once resolved, may
    /// be connected to even when they are not public. Call before any fetch.
    pub fn ask(&self, host: &str) {
        self.lock().asked_hosts.insert(host_key(host));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Why `host` must not be fetched before any resolution (a metadata name, a
    /// literal address outside the policy), `None` if it may be tried.
    pub fn refuse_host(&self, host: &str) -> Option<String> {
        if self.allow_private {
            return None;
        }
        if is_metadata_name(host) {
            return Some(format!(
                "refused: {host} is a cloud metadata service (--allow-private-addresses fetches it)"
            ));
        }
        let ip: IpAddr = host_key(host).parse().ok()?;
        let st = self.lock();
        let asked = st.asked_hosts.contains(&host_key(host));
        self.refuse_ip(ip, asked, &st)
            .map(|why| format!("refused: {ip} is {why} (--allow-private-addresses fetches it)"))
    }

    fn refuse_ip(&self, ip: IpAddr, asked_host: bool, st: &State) -> Option<String> {
        if self.allow_private {
            return None;
        }
        if forbidden(ip) {
            return Some("a link-local or cloud metadata address".into());
        }
        let class = non_public(ip)?;
        if asked_host || st.asked_ips.contains(&ip) {
            return None;
        }
        Some(format!("a {class} address that was not asked for"))
    }

    /// Resolves `host:port` once per run and keeps the addresses the policy
    /// allows; an error when none is left.
    fn resolve(
        &self,
        host: &str,
        port: u16,
        lookup: impl FnOnce() -> std::io::Result<Vec<SocketAddr>>,
    ) -> std::io::Result<Vec<SocketAddr>> {
        let key = (host_key(host), port);
        if let Some(addrs) = self.lock().pinned.get(&key) {
            return Ok(addrs.clone());
        }
        if let Some(why) = self.refuse_host(host) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                why,
            ));
        }
        let found = lookup()?;
        let mut st = self.lock();
        let asked = st.asked_hosts.contains(&key.0);
        let mut kept = Vec::new();
        let mut why = None;
        for a in found {
            match self.refuse_ip(a.ip(), asked, &st) {
                None => kept.push(a),
                Some(w) => why = why.or(Some(format!("{}, {w}", a.ip()))),
            }
        }
        if kept.is_empty() {
            let why = match why {
                Some(w) => format!(
                    "refused: {} resolves to {w} (--allow-private-addresses fetches it)",
                    key.0
                ),
                None => format!("{}: no address", key.0),
            };
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                why,
            ));
        }
        if asked {
            st.asked_ips.extend(kept.iter().map(SocketAddr::ip));
        }
        st.pinned.insert(key, kept.clone());
        Ok(kept)
    }

    /// Resolves every host named on the command line up front, so that their
    /// addresses are known before a page can name another host.
    pub fn resolve_asked(&self, host: &str, port: u16) -> std::io::Result<()> {
        self.resolve(host, port, || lookup(host, port)).map(|_| ())
    }
}

fn lookup(host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
    let h = host_key(host);
    let addrs = match h.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => (h.as_str(), port).to_socket_addrs()?.collect(),
    };
    Ok(addrs)
}

/// The resolver ureq calls for every connection: [`Guard`]'s checked, pinned
/// addresses.
#[derive(Debug)]
pub struct GuardedResolver(pub Arc<Guard>);

impl Resolver for GuardedResolver {
    fn resolve(
        &self,
        uri: &Uri,
        _config: &ureq::config::Config,
        _timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let host = uri.host().ok_or(ureq::Error::HostNotFound)?;
        let port = uri
            .port_u16()
            .or_else(|| match uri.scheme_str() {
                Some("https") => Some(443),
                Some("http") => Some(80),
                _ => None,
            })
            .ok_or(ureq::Error::HostNotFound)?;
        let addrs = self.0.resolve(host, port, || lookup(host, port))?;
        let mut out = self.empty();
        for a in addrs.into_iter().take(16) {
            out.push(a);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn classifies_addresses() {
        for (a, want) in [
            ("127.0.0.1", Some("loopback")),
            ("127.9.9.9", Some("loopback")),
            ("169.254.169.254", Some("link-local")),
            ("10.1.2.3", Some("private")),
            ("172.31.0.1", Some("private")),
            ("192.168.1.1", Some("private")),
            ("100.100.100.200", Some("shared (carrier-grade NAT)")),
            ("0.0.0.0", Some("unspecified")),
            ("8.8.8.8", None),
            ("::1", Some("loopback")),
            ("fe80::1", Some("link-local")),
            ("fd00:ec2::254", Some("unique local")),
            ("fc00::1", Some("unique local")),
            ("::ffff:169.254.169.254", Some("link-local")),
            ("::ffff:127.0.0.1", Some("loopback")),
            ("64:ff9b::a9fe:a9fe", Some("link-local")),
            ("2002:a9fe:a9fe::1", Some("link-local")),
            ("2606:4700::1111", None),
        ] {
            assert_eq!(non_public(ip(a)), want, "{a}");
        }
        assert!(forbidden(ip("169.254.169.254")));
        assert!(forbidden(ip("fd00:ec2::254")));
        assert!(forbidden(ip("100.100.100.200")));
        assert!(!forbidden(ip("127.0.0.1")));
    }

    #[test]
    fn policy_and_pinning() {
        let g = Guard::new(false);
        g.ask("127.0.0.1");
        let local = |h: &str| vec![SocketAddr::new(ip(h), 80)];
        // The asked host and its address; another loopback address is refused.
        assert!(
            g.resolve("127.0.0.1", 80, || Ok(local("127.0.0.1")))
                .is_ok()
        );
        assert!(
            g.resolve("127.0.0.1", 81, || Ok(local("127.0.0.1")))
                .is_ok()
        );
        let e = g
            .resolve("127.0.0.2", 80, || Ok(local("127.0.0.2")))
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("loopback address that was not asked for"),
            "{e}"
        );
        // A name resolving to a metadata address, or to the asked one.
        assert!(
            g.resolve("evil.test", 80, || Ok(local("169.254.169.254")))
                .is_err()
        );
        assert!(
            g.resolve("alias.test", 80, || Ok(local("127.0.0.1")))
                .is_ok()
        );
        // Mixed answers keep the allowed addresses only.
        let mixed = vec![
            SocketAddr::new(ip("10.0.0.1"), 80),
            SocketAddr::new(ip("93.184.216.34"), 80),
        ];
        assert_eq!(
            g.resolve("mixed.test", 80, || Ok(mixed)).unwrap(),
            local("93.184.216.34")
        );
        // Pinned: a second answer (DNS rebinding) is never asked for.
        assert_eq!(
            g.resolve("mixed.test", 80, || panic!("resolved twice"))
                .unwrap(),
            local("93.184.216.34")
        );
        assert!(g.refuse_host("metadata.google.internal.").is_some());
        assert!(g.refuse_host("[fe80::1]").is_some());
        assert!(g.refuse_host("127.0.0.1").is_none());
        let open = Guard::new(true);
        assert!(
            open.resolve("x.test", 80, || Ok(local("169.254.169.254")))
                .is_ok()
        );
    }
}

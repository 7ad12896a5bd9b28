//! Which Web Push endpoints the server posts to. A browser names its push
//! service's URL, so a user could name an address inside the operator's
//! network and have the server post to it (or probe it) on every message.
//! Allowed: `https` on port 443 at globally routable addresses only.
//!
//! The address is checked twice: when the subscription is made (the host
//! must resolve, and only to public addresses) and at every connect, by
//! the HTTP client's resolver ([`PublicResolver`]), which hands the client
//! only the public addresses it found: a name that resolved to a public
//! address at subscription and to a private one later (DNS rebinding) is
//! never connected to. A literal IP in the URL skips resolvers, so it is
//! checked with the URL.

use reqwest_rustls::Url;
use reqwest_rustls::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// The only port a push endpoint may use.
pub const PUSH_PORT: u16 = 443;
/// Longest a subscription waits for its endpoint's name to resolve.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(3);

/// Whether `ip` is a globally routable unicast address: not loopback,
/// private, shared (CGNAT), link-local, unique-local, multicast,
/// documentation, benchmarking or reserved, and, for IPv6 forms that carry
/// an IPv4 address (mapped, NAT64, 6to4), only if that address is.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let reserved = a == 0 // "this network"
        || a == 10
        || a == 127
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 169 && b == 254) // link-local
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // TEST-NET-1
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 192 && b == 168)
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // TEST-NET-2
        || (a == 203 && b == 0 && c == 113) // TEST-NET-3
        || a >= 224; // multicast, reserved, broadcast
    !reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(embedded_v4(s[6], s[7]));
    }
    // 6to4 (2002::/16) carries the IPv4 address in bits 16..48.
    if s[0] == 0x2002 {
        return is_public_v4(embedded_v4(s[1], s[2]));
    }
    // Global unicast is 2000::/3; everything else (loopback, unspecified,
    // IPv4-compatible, unique-local fc00::/7, link-local fe80::/10,
    // multicast ff00::/8, discard 100::/64, NAT64 local use) is not.
    let global_unicast = (s[0] & 0xe000) == 0x2000;
    // IETF protocol assignments (2001::/23: Teredo, ORCHID, …) and the
    // documentation prefixes 2001:db8::/32 and 3fff::/20.
    let reserved =
        (s[0] == 0x2001 && (s[1] < 0x0200 || s[1] == 0x0db8)) || (s[0] & 0xfff0) == 0x3ff0;
    global_unicast && !reserved
}

fn embedded_v4(high: u16, low: u16) -> Ipv4Addr {
    let [a, b] = high.to_be_bytes();
    let [c, d] = low.to_be_bytes();
    Ipv4Addr::new(a, b, c, d)
}

/// Checks what can be checked without resolving: an absolute `https` URL
/// on port 443 with a host and no credentials; a literal IP must be public.
/// `local` (tests' push service) also allows `http`, any port and any
/// address.
pub fn check_url(url: &Url, local: bool) -> Result<(), &'static str> {
    let scheme_ok = url.scheme() == "https" || (local && url.scheme() == "http");
    if !scheme_ok {
        return Err("endpoint: must be an https URL");
    }
    if url.host_str().is_none_or(str::is_empty) || !url.username().is_empty() {
        return Err("endpoint: must name a host and no credentials");
    }
    if local {
        return Ok(());
    }
    if url.port_or_known_default() != Some(PUSH_PORT) {
        return Err("endpoint: must use port 443");
    }
    if literal_ip(url).is_some_and(|ip| !is_public(ip)) {
        return Err("endpoint: must be a public address");
    }
    Ok(())
}

/// The URL's host when it is an IP address (IPv6 in brackets; the URL
/// parser has already turned forms like `2130706433` into dotted quads).
fn literal_ip(url: &Url) -> Option<IpAddr> {
    let host = url.host_str()?;
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse().ok()
}

/// Resolves the URL's host and requires every address it has to be public
/// (a name that also points inside is refused, not filtered, at
/// subscription). A name that does not resolve now is let through: the
/// connect-time resolver is the guarantee, and a DNS hiccup should not stop
/// a browser from subscribing.
pub async fn check_resolves_publicly(url: &Url) -> Result<(), &'static str> {
    let Some(host) = url.host_str() else {
        return Err("endpoint: must name a host and no credentials");
    };
    if literal_ip(url).is_some() {
        // Checked with the URL.
        return Ok(());
    }
    let lookup = tokio::time::timeout(LOOKUP_TIMEOUT, tokio::net::lookup_host((host, PUSH_PORT)));
    let found: Vec<SocketAddr> = match lookup.await {
        Ok(Ok(found)) => found.collect(),
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "push endpoint does not resolve now");
            return Ok(());
        }
        Err(_elapsed) => return Ok(()),
    };
    if found.iter().any(|a| !is_public(a.ip())) {
        return Err("endpoint: must be a public address");
    }
    Ok(())
}

/// The push client's resolver: the system's answer with every non-public
/// address removed; an error when none is left, so the client never
/// connects inside.
#[derive(Debug, Default)]
pub struct PublicResolver;

impl Resolve for PublicResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let public: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public(a.ip()))
                .collect();
            if public.is_empty() {
                return Err(format!("{host}: no public address").into());
            }
            let addrs: Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_globally_routable_addresses_are_public() {
        for inside in [
            "0.0.0.0",
            "127.0.0.1",
            "127.1.2.3",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "192.0.0.8",
            "192.0.2.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "2002:c0a8:0101::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "100::1",
            "2001:db8::1",
            "2001::1",
            "3fff::1",
        ] {
            assert!(!is_public(ip(inside)), "{inside} is not public");
        }
        for outside in [
            "1.1.1.1",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "192.169.0.1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:0808:0808::1",
            "2606:4700:4700::1111",
            "2a00:1450:4001:800::200e",
        ] {
            assert!(is_public(ip(outside)), "{outside} is public");
        }
    }

    #[test]
    fn urls_need_https_port_443_and_no_inside_literal() {
        let check = |s: &str| check_url(&Url::parse(s).unwrap(), false);
        assert!(check("https://fcm.googleapis.com/fcm/send/abc").is_ok());
        assert!(check("https://fcm.googleapis.com:443/x").is_ok());
        assert!(check("https://8.8.8.8/x").is_ok());
        for bad in [
            "http://push.example/x",
            "ftp://push.example/x",
            "https://user:pw@push.example/x",
            "https://push.example:8443/x",
            "https://push.example:80/x",
            "https://127.0.0.1/x",
            "https://10.0.0.1/x",
            "https://[::1]/x",
            "https://[::ffff:192.168.0.1]/x",
            "https://[fe80::1]/x",
            "https://2130706433/x",
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
        let local = |s: &str| check_url(&Url::parse(s).unwrap(), true);
        assert!(local("http://127.0.0.1:9/x").is_ok());
    }

    #[tokio::test]
    async fn names_that_resolve_inside_are_refused() {
        let url = Url::parse("https://localhost/x").unwrap();
        assert!(check_resolves_publicly(&url).await.is_err());
        let name: Name = "localhost".parse().unwrap();
        assert!(PublicResolver.resolve(name).await.is_err());
    }
}

//! `trusted_proxies`: the networks whose `X-Forwarded-For` entries are
//! believed, and how the client's address is picked from that header.
//!
//! A proxy appends the address it received the request from, so only the
//! entries that trusted proxies wrote can be believed: the client is the
//! rightmost address that is not a trusted proxy. The leftmost entry is
//! whatever the client chose to send.

use ipnet::IpNet;
use std::net::IpAddr;

/// Loopback and the private ranges: where a reverse proxy in front of the
/// server usually is.
pub const DEFAULT_TRUSTED_PROXIES: &str =
    "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7";

/// A list of networks (CIDR).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses a comma-separated list of CIDR networks or single addresses.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let net = match item.parse::<IpNet>() {
                Ok(net) => net,
                Err(_) => item
                    .parse::<IpAddr>()
                    .map(IpNet::from)
                    .map_err(|_not_an_ip| {
                        format!(
                            "must be a comma-separated list of CIDR networks, `{item}` is not one"
                        )
                    })?,
            };
            nets.push(net.trunc());
        }
        Ok(Self(nets))
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client of a request that came from `peer` with these
    /// `X-Forwarded-For` header values (in order): from the right, the first
    /// address that is not a trusted proxy. A peer that is not a trusted
    /// proxy is the client itself, whatever it claims.
    pub fn client<'a>(&self, peer: IpAddr, forwarded_for: impl Iterator<Item = &'a str>) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.contains(client) {
            return client;
        }
        let hops: Vec<&str> = forwarded_for.flat_map(|v| v.split(',')).collect();
        for hop in hops.into_iter().rev() {
            // Garbage was written by someone untrusted: stop at the last
            // address a trusted proxy vouched for.
            let Ok(ip) = hop.trim().parse::<IpAddr>() else {
                return client;
            };
            client = ip.to_canonical();
            if !self.contains(client) {
                return client;
            }
        }
        client
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn defaults() -> TrustedProxies {
        TrustedProxies::parse(DEFAULT_TRUSTED_PROXIES).unwrap()
    }

    #[test]
    fn the_rightmost_untrusted_address_is_the_client() {
        let proxies = defaults();
        let peer = ip("10.0.0.2");
        // The client sent a made-up first entry; the proxy appended the truth.
        let header = ["6.6.6.6, 203.0.113.7"];
        assert_eq!(proxies.client(peer, header.into_iter()), ip("203.0.113.7"));
        // Two proxies, and the header split over two lines.
        let header = ["1.2.3.4", "203.0.113.7, 192.168.1.1"];
        assert_eq!(proxies.client(peer, header.into_iter()), ip("203.0.113.7"));
        // Nothing but proxies: the farthest one.
        assert_eq!(
            proxies.client(peer, ["10.1.1.1"].into_iter()),
            ip("10.1.1.1")
        );
        // No header: the peer.
        assert_eq!(proxies.client(peer, std::iter::empty()), peer);
        // Garbage: the last trusted address.
        let header = ["203.0.113.7, nonsense, 10.0.0.9"];
        assert_eq!(proxies.client(peer, header.into_iter()), ip("10.0.0.9"));
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let proxies = defaults();
        let peer = ip("198.51.100.4");
        assert_eq!(proxies.client(peer, ["1.1.1.1"].into_iter()), peer);
        let mapped = ip("::ffff:10.0.0.2");
        assert_eq!(
            proxies.client(mapped, ["203.0.113.7"].into_iter()),
            ip("203.0.113.7"),
            "an IPv4 proxy seen through an IPv6 socket is still trusted"
        );
    }

    #[test]
    fn lists_parse_and_refuse_what_is_not_a_network() {
        let proxies = TrustedProxies::parse("192.0.2.1, 2001:db8::/32").unwrap();
        assert!(proxies.contains(ip("192.0.2.1")));
        assert!(proxies.contains(ip("2001:db8::5")));
        assert!(!proxies.contains(ip("192.0.2.2")));
        assert_eq!(TrustedProxies::parse("").unwrap(), TrustedProxies(vec![]));
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.local").is_err());
    }
}

//! The client's network address, behind reverse proxies too.
//!
//! The adapter tells core the address of the connection's peer ([`Request::peer`]). Behind
//! nginx, Traefik, an ingress or Spin's router that peer is the proxy, so every client would
//! share one throttle bucket. Sesame therefore believes `X-Forwarded-For` and `Forwarded` (RFC 7239), but only from peers in the
//! configured trusted proxies ([`TrustedProxies`], `SESAME_TRUSTED_PROXIES`):
//!
//! - peer not trusted (or no proxy configured): the client is the peer, the headers are ignored;
//! - peer trusted: the header is walked from the right, each entry being the address the hop
//!   on its right saw; the client is the first (right-most) address that is not a trusted
//!   proxy. Entries on its left were written by the client or by proxies Sesame does not
//!   trust, so a client cannot choose its own bucket by sending a forged header;
//! - a malformed entry (not an address, `unknown`, an obfuscated identifier, bad quoting, a
//!   line that is not UTF-8) reached before the client's address, or both headers naming
//!   different clients (a proxy that appends to `X-Forwarded-For` passes a client's
//!   `Forwarded` through untouched, and the other way round): nothing can be read reliably,
//!   and falling back to a trusted hop would put every such request in the proxy's bucket
//!   (a client could leave its own bucket, or fill that one), so HTTP refuses the request
//!   ([`Forwarding::doubtful`], `400 invalid-request`); the address read is then the last trusted hop;
//! - peer unknown (an HTTP runtime that does not say who connected): with trusted proxies configured, the operator declares that every request arrives through
//!   them, so the walk starts as if the peer were trusted; without, there is no address.
//!
//! IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`) are read as the IPv4 address everywhere.
//!
//! [`Request::peer`]: crate::http::Request::peer

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use ipnet::IpNet;

/// Most header entries looked at, from the right. A real chain has a few hops; a longer one
/// is treated as malformed where the limit is reached, bounding the work a client can cause.
pub const MAX_HOPS: usize = 32;

/// A trusted-proxy setting that is not a list of addresses or CIDR blocks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an IP address or CIDR block (like 10.0.0.0/8 or fd00::/8)")]
pub struct BadProxy(pub String);

/// The reverse proxies whose `X-Forwarded-For` / `Forwarded` headers are believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// No trusted proxy: every forwarding header is ignored.
    pub fn none() -> Self {
        TrustedProxies(Vec::new())
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether what the connection's `peer` forwards is believed: some proxy is trusted and
    /// the peer is one of them, or the runtime does not say who connected (then the operator
    /// declares that every request arrives through the trusted proxies).
    pub fn vouch_for(&self, peer: Option<IpAddr>) -> bool {
        !self.is_empty() && peer.is_none_or(|p| self.contains(p))
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }
}

impl FromStr for TrustedProxies {
    type Err = BadProxy;

    /// Parses a comma-separated list of CIDR blocks (`10.0.0.0/8`, `fd00::/8`) and single
    /// addresses (read as `/32` or `/128`); blanks around items and empty items are ignored.
    fn from_str(list: &str) -> Result<Self, BadProxy> {
        list.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<IpNet>()
                    .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                    .map(|net| match net {
                        // `::ffff:10.0.0.0/104` means 10.0.0.0/8: addresses are compared as IPv4.
                        IpNet::V6(v6) => match (v6.addr().to_ipv4_mapped(), v6.prefix_len()) {
                            (Some(v4), len) if len >= 96 => {
                                ipnet::Ipv4Net::new(v4, len - 96).map_or(net, IpNet::V4)
                            }
                            _ => net,
                        },
                        IpNet::V4(_) => net,
                    })
                    .map(|net| net.trunc())
                    .map_err(|_| BadProxy(item.chars().take(64).collect()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }
}

impl fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let items: Vec<String> = self.0.iter().map(IpNet::to_string).collect();
        f.write_str(&items.join(","))
    }
}

/// The address as Sesame compares it: IPv4-mapped IPv6 becomes IPv4.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// An address given as text (`ip` or `ip:port`, as HTTP runtimes and embedders pass it), read
/// the way Sesame compares addresses ([`canonical`]); `None` when it is not an address.
pub fn parse_peer(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    text.parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(canonical)
}

/// The throttle bucket of a client address: the address itself for IPv4, its /64 for IPv6
/// (one subscriber usually holds a whole /64 and can pick any address in it). Text that is
/// not an address (an embedder's own identifier) is its own bucket.
pub fn throttle_bucket(address: &str) -> String {
    match parse_peer(address) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => ipnet::Ipv6Net::new(v6, 64)
            .map(|net| net.trunc().to_string())
            .unwrap_or_else(|_| v6.to_string()),
        None => address.trim().to_owned(),
    }
}

/// One hop of a forwarding header, read from the right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hop {
    /// An address.
    Addr(IpAddr),
    /// Anything else: stops the walk.
    Malformed,
}

/// What one request's forwarding headers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forwarding {
    /// The client's address; see the module documentation for the rule.
    pub client: Option<IpAddr>,
    /// Whether the request came through a trusted proxy with headers that cannot be read
    /// reliably: a malformed entry (or the hop limit) reached before the client's address, or
    /// `Forwarded` and `X-Forwarded-For` naming different clients. `client` then falls back to
    /// a trusted hop, whose bucket every such request would share, so that a client could
    /// leave its own bucket or fill the proxy's; HTTP refuses such requests instead
    /// (`400 invalid-request`). Always false when the peer is not a trusted proxy.
    pub doubtful: bool,
}

/// Reads the client's address from the peer's address and the request's forwarding headers
/// (each line as raw bytes, in the order received), in one walk per header.
pub fn read(
    peer: Option<IpAddr>,
    trusted: &TrustedProxies,
    forwarded: &[&[u8]],
    x_forwarded_for: &[&[u8]],
) -> Forwarding {
    let peer = peer.map(canonical);
    let plain = |client| Forwarding {
        client,
        doubtful: false,
    };
    if !trusted.vouch_for(peer) {
        return plain(peer);
    }
    let from_forwarded =
        (!forwarded.is_empty()).then(|| walk(peer, trusted, forwarded_hops(forwarded)));
    let from_xff =
        (!x_forwarded_for.is_empty()).then(|| walk(peer, trusted, xff_hops(x_forwarded_for)));
    match (from_forwarded, from_xff) {
        (Some((a, clean_a)), Some((b, clean_b))) if a == b => Forwarding {
            client: a,
            doubtful: !clean_a || !clean_b,
        },
        (Some(_), Some(_)) => Forwarding {
            client: peer,
            doubtful: true,
        },
        (Some((client, clean)), None) | (None, Some((client, clean))) => Forwarding {
            client,
            doubtful: !clean,
        },
        (None, None) => plain(peer),
    }
}

/// The client's address alone ([`read`]).
pub fn resolve(
    peer: Option<IpAddr>,
    trusted: &TrustedProxies,
    forwarded: &[&[u8]],
    x_forwarded_for: &[&[u8]],
) -> Option<IpAddr> {
    read(peer, trusted, forwarded, x_forwarded_for).client
}

/// Walks `hops` (left to right as sent) from the right, starting at the trusted `peer`; says
/// too whether the walk ended cleanly (at the client's address, or past every hop) rather
/// than at a malformed entry or the hop limit.
fn walk(peer: Option<IpAddr>, trusted: &TrustedProxies, hops: Vec<Hop>) -> (Option<IpAddr>, bool) {
    let mut last_trusted = peer;
    for (seen, hop) in hops.into_iter().rev().enumerate() {
        let Hop::Addr(addr) = hop else {
            return (last_trusted, false);
        };
        if seen == MAX_HOPS {
            return (last_trusted, false);
        }
        let addr = canonical(addr);
        if !trusted.contains(addr) {
            return (Some(addr), true);
        }
        last_trusted = Some(addr);
    }
    // Every hop is a trusted proxy: the left-most one is where the request began.
    (last_trusted, true)
}

/// The entries of `X-Forwarded-For` lines: comma-separated addresses, optionally with a port
/// (`192.0.2.1:443`, `[2001:db8::1]:443`), blanks around them allowed. An empty entry, a line
/// that is not UTF-8 or anything else is malformed.
fn xff_hops(lines: &[&[u8]]) -> Vec<Hop> {
    let mut hops = Vec::new();
    for line in lines {
        let Ok(line) = std::str::from_utf8(line) else {
            hops.push(Hop::Malformed);
            continue;
        };
        for entry in line.split(',') {
            let entry = entry.trim_matches([' ', '\t']);
            let addr = entry
                .parse::<IpAddr>()
                .ok()
                .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()));
            hops.push(addr.map_or(Hop::Malformed, Hop::Addr));
        }
    }
    hops
}

/// The `for=` of each element of `Forwarded` lines (RFC 7239 section 4). An element without
/// exactly one `for`, a `for` naming no address (`unknown`, `_hidden`), an unquoted IPv6 or
/// any syntax error is malformed.
fn forwarded_hops(lines: &[&[u8]]) -> Vec<Hop> {
    let mut hops = Vec::new();
    for line in lines {
        match std::str::from_utf8(line) {
            Ok(line) => forwarded_line(line, &mut hops),
            Err(_) => hops.push(Hop::Malformed),
        }
    }
    hops
}

/// Parses one `Forwarded` line into `hops`, one per element. Elements are split at commas
/// outside quoted strings first, so a malformed element does not hide the ones on its right
/// (those a trusted proxy appended); an unterminated quote makes the rest of the line one
/// malformed element.
fn forwarded_line(line: &str, hops: &mut Vec<Hop>) {
    let mut start = 0;
    let mut in_quotes = false;
    let mut escaped = false;
    for (at, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => {
                hops.push(forwarded_element(&line[start..at]));
                start = at + 1;
            }
            _ => {}
        }
    }
    hops.push(if in_quotes {
        Hop::Malformed
    } else {
        forwarded_element(&line[start..])
    });
}

/// One `forwarded-element` (`pair *( ";" pair )`, blanks around it allowed): the address of
/// its single `for` pair, or malformed.
fn forwarded_element(element: &str) -> Hop {
    forwarded_for(element)
        .ok()
        .flatten()
        .as_deref()
        .and_then(node_address)
        .map_or(Hop::Malformed, Hop::Addr)
}

/// The value of the element's `for` pair (`None` without one); `Err` on a syntax error or a
/// second `for`.
fn forwarded_for(element: &str) -> Result<Option<String>, ()> {
    let mut rest = element.trim_matches([' ', '\t']);
    let mut node: Option<String> = None;
    while !rest.is_empty() {
        let name_len = rest.find(|c: char| !is_tchar(c)).unwrap_or(rest.len());
        if name_len == 0 {
            return Err(());
        }
        let name = &rest[..name_len];
        rest = rest[name_len..].strip_prefix('=').ok_or(())?;
        let (value, after) = if let Some(quoted) = rest.strip_prefix('"') {
            quoted_string(quoted)?
        } else {
            let len = rest.find(|c: char| !is_tchar(c)).unwrap_or(rest.len());
            if len == 0 {
                return Err(());
            }
            (rest[..len].to_owned(), &rest[len..])
        };
        if name.eq_ignore_ascii_case("for") {
            if node.is_some() {
                return Err(());
            }
            node = Some(value);
        }
        rest = after.trim_start_matches([' ', '\t']);
        if !rest.is_empty() {
            rest = rest
                .strip_prefix(';')
                .ok_or(())?
                .trim_start_matches([' ', '\t']);
            if rest.is_empty() {
                return Err(());
            }
        }
    }
    Ok(node)
}

/// The body of a quoted-string after its opening quote: the unescaped value and the text after
/// the closing quote.
fn quoted_string(input: &str) -> Result<(String, &str), ()> {
    let mut value = String::new();
    let mut chars = input.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return Ok((value, &input[at + 1..])),
            '\\' => value.push(chars.next().ok_or(())?.1),
            c if c == '\t' || (' '..='~').contains(&c) => value.push(c),
            _ => return Err(()),
        }
    }
    Err(())
}

/// The address of a `node` (RFC 7239 section 6): `IPv4`, `IPv4:port`, `[IPv6]`, `[IPv6]:port`
/// (a port may be obfuscated, `_abc`). `unknown` and obfuscated identifiers name no address.
fn node_address(node: &str) -> Option<IpAddr> {
    let (host, port) = if let Some(v6) = node.strip_prefix('[') {
        let (inner, after) = v6.split_once(']')?;
        let addr = inner.parse::<std::net::Ipv6Addr>().ok()?;
        (IpAddr::V6(addr), after)
    } else {
        let end = node.find(':').unwrap_or(node.len());
        let addr = node[..end].parse::<std::net::Ipv4Addr>().ok()?;
        (IpAddr::V4(addr), &node[end..])
    };
    match port.strip_prefix(':') {
        None if port.is_empty() => Some(host),
        Some(p) if p.parse::<u16>().is_ok() && p.bytes().all(|b| b.is_ascii_digit()) => Some(host),
        Some(p)
            if p.len() > 1
                && p.starts_with('_')
                && p[1..]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)) =>
        {
            Some(host)
        }
        _ => None,
    }
}

/// RFC 9110 `tchar`.
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

#[cfg(test)]
mod tests;

use super::*;

fn proxies(list: &str) -> TrustedProxies {
    list.parse().unwrap()
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

/// The client for a peer and header lines (`Forwarded` lines, `X-Forwarded-For` lines).
fn client(peer: Option<&str>, trusted: &str, forwarded: &[&str], xff: &[&str]) -> Option<IpAddr> {
    let forwarded: Vec<&[u8]> = forwarded.iter().map(|l| l.as_bytes()).collect();
    let xff: Vec<&[u8]> = xff.iter().map(|l| l.as_bytes()).collect();
    resolve(peer.map(ip), &proxies(trusted), &forwarded, &xff)
}

#[test]
fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
    let spoofed = ["203.0.113.9"];
    assert_eq!(
        client(Some("198.51.100.4"), "10.0.0.0/8", &[], &spoofed),
        Some(ip("198.51.100.4"))
    );
    assert_eq!(
        client(Some("198.51.100.4"), "", &["for=203.0.113.9"], &spoofed),
        Some(ip("198.51.100.4")),
        "without trusted proxies the headers are ignored"
    );
    assert_eq!(client(None, "", &[], &spoofed), None);
}

#[test]
fn a_trusted_peer_forwards_the_right_most_untrusted_address() {
    assert_eq!(
        client(Some("10.0.0.2"), "10.0.0.0/8", &[], &["192.0.2.7"]),
        Some(ip("192.0.2.7"))
    );
    // Two trusted hops (an ingress behind a load balancer), then the client.
    assert_eq!(
        client(
            Some("10.0.0.2"),
            "10.0.0.0/8, 172.16.0.0/12",
            &[],
            &["192.0.2.7, 172.16.3.4", "10.1.1.1"]
        ),
        Some(ip("192.0.2.7"))
    );
    // Every hop trusted: the left-most is where the request began.
    assert_eq!(
        client(Some("10.0.0.2"), "10.0.0.0/8", &[], &["10.9.9.9, 10.1.1.1"]),
        Some(ip("10.9.9.9"))
    );
    // A trusted peer that forwards nothing is the client.
    assert_eq!(
        client(Some("10.0.0.2"), "10.0.0.0/8", &[], &[]),
        Some(ip("10.0.0.2"))
    );
}

#[test]
fn spoofed_left_most_entries_are_ignored() {
    // The client sent "X-Forwarded-For: 1.2.3.4, 10.0.0.1" hoping to pass as someone else
    // behind a trusted proxy; the proxy appended what it saw.
    assert_eq!(
        client(
            Some("10.0.0.2"),
            "10.0.0.0/8",
            &[],
            &["1.2.3.4, 10.0.0.1, 192.0.2.7"]
        ),
        Some(ip("192.0.2.7"))
    );
    assert_eq!(
        client(
            Some("10.0.0.2"),
            "10.0.0.0/8",
            &["for=1.2.3.4", "for=192.0.2.7;proto=https"],
            &[]
        ),
        Some(ip("192.0.2.7"))
    );
}

#[test]
fn malformed_entries_stop_the_walk_at_the_last_trusted_hop() {
    let peer = Some("10.0.0.2");
    let trusted = "10.0.0.0/8";
    for bad in [
        "not-an-address",
        "",
        "192.0.2.7 1.2.3.4",
        "192.0.2.300",
        "unknown",
        "[2001:db8::1",
    ] {
        assert_eq!(
            client(peer, trusted, &[], &[bad]),
            Some(ip("10.0.0.2")),
            "{bad:?}"
        );
    }
    // The walk stops at the malformed entry, whose right neighbour (trusted) saw it.
    assert_eq!(
        client(peer, trusted, &[], &["192.0.2.7, junk, 10.3.3.3"]),
        Some(ip("10.3.3.3"))
    );
    // A malformed entry left of the client does not matter.
    assert_eq!(
        client(peer, trusted, &[], &["junk, 192.0.2.7"]),
        Some(ip("192.0.2.7"))
    );
    // A line that is not UTF-8 is malformed, not skipped (skipping would let the client's
    // own line become the right-most).
    let xff: [&[u8]; 2] = [b"1.2.3.4", b"\xff, 192.0.2.7"];
    assert_eq!(
        resolve(Some(ip("10.0.0.2")), &proxies(trusted), &[], &xff),
        Some(ip("10.0.0.2"))
    );
    for bad in [
        "for=2001:db8::1",
        "for=\"[2001:db8::1\"",
        "for=unknown",
        "for=_hidden",
        "for=192.0.2.7;for=192.0.2.8",
        "proto=https",
        "for=192.0.2.7;",
        "for=\"192.0.2.7",
        "for=192.0.2.7:99999",
        "for",
    ] {
        assert_eq!(
            client(peer, trusted, &[bad], &[]),
            Some(ip("10.0.0.2")),
            "{bad:?}"
        );
    }
    // An element the client made malformed does not hide the one the proxy appended.
    assert_eq!(
        client(peer, trusted, &["for=;;, for=192.0.2.7"], &[]),
        Some(ip("192.0.2.7"))
    );
}

#[test]
fn forwarded_reads_quoted_ipv6_ports_and_parameters() {
    let peer = Some("10.0.0.2");
    let trusted = "10.0.0.0/8";
    let cases: [(&[&str], &[&str], &str); 5] = [
        (
            &["for=\"[2001:db8:cafe::17]:4711\""],
            &[],
            "2001:db8:cafe::17",
        ),
        (
            &["For=\"[2001:db8:cafe::17]\";proto=https"],
            &[],
            "2001:db8:cafe::17",
        ),
        (
            &["for=192.0.2.60;proto=http;by=203.0.113.43, for=\"10.1.2.3:8080\""],
            &[],
            "192.0.2.60",
        ),
        (
            &["for=\"192.0.2.60:_port\" ; by=\"a,b\""],
            &[],
            "192.0.2.60",
        ),
        (&[], &["[2001:db8::5]:443", "192.0.2.9:80"], "192.0.2.9"),
    ];
    for (forwarded, xff, expected) in cases {
        assert_eq!(
            client(peer, trusted, forwarded, xff),
            Some(ip(expected)),
            "{forwarded:?} {xff:?}"
        );
    }
}

#[test]
fn both_headers_must_agree() {
    let peer = Some("10.0.0.2");
    let trusted = "10.0.0.0/8";
    // A proxy that appends to X-Forwarded-For passes a client's Forwarded through untouched.
    assert_eq!(
        client(peer, trusted, &["for=1.2.3.4"], &["192.0.2.7"]),
        Some(ip("10.0.0.2"))
    );
    assert_eq!(
        client(peer, trusted, &["for=192.0.2.7"], &["192.0.2.7"]),
        Some(ip("192.0.2.7"))
    );
}

#[test]
fn an_unknown_peer_is_trusted_only_when_proxies_are_configured() {
    assert_eq!(
        client(None, "10.0.0.0/8", &[], &["1.2.3.4, 192.0.2.7"]),
        Some(ip("192.0.2.7"))
    );
    assert_eq!(client(None, "10.0.0.0/8", &[], &["junk"]), None);
    assert_eq!(client(None, "", &[], &["192.0.2.7"]), None);
}

#[test]
fn ipv4_mapped_addresses_count_as_ipv4() {
    assert_eq!(
        client(
            Some("::ffff:10.0.0.2"),
            "10.0.0.0/8",
            &[],
            &["::ffff:192.0.2.7"]
        ),
        Some(ip("192.0.2.7"))
    );
    assert_eq!(
        client(Some("10.0.0.2"), "::ffff:10.0.0.0/104", &[], &["192.0.2.7"]),
        Some(ip("192.0.2.7"))
    );
    assert_eq!(throttle_bucket("::ffff:192.0.2.7"), "192.0.2.7");
}

#[test]
fn long_chains_stop_at_the_limit() {
    let mut chain = vec!["192.0.2.7".to_owned()];
    chain.extend((0..MAX_HOPS).map(|i| format!("10.0.0.{i}")));
    let line = chain.join(", ");
    assert_eq!(
        client(Some("10.0.0.2"), "10.0.0.0/8", &[], &[&line]),
        Some(ip(&format!("10.0.0.{}", 0)))
    );
}

#[test]
fn ipv6_clients_share_their_slash_64() {
    assert_eq!(throttle_bucket("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
    assert_eq!(
        throttle_bucket("2001:db8:1:2:ffff:ffff:ffff:ffff"),
        "2001:db8:1:2::/64"
    );
    assert_ne!(throttle_bucket("2001:db8:1:3::1"), "2001:db8:1:2::/64");
    assert_eq!(throttle_bucket("192.0.2.7"), "192.0.2.7");
    assert_eq!(throttle_bucket("192.0.2.7:5555"), "192.0.2.7");
    assert_eq!(throttle_bucket("embedder-id"), "embedder-id");
}

#[test]
fn proxy_lists_parse_strictly() {
    let list = proxies(" 10.0.0.0/8 ,, 192.0.2.1, fd00::/8 ");
    assert!(list.contains(ip("10.255.0.1")));
    assert!(list.contains(ip("192.0.2.1")));
    assert!(!list.contains(ip("192.0.2.2")));
    assert!(list.contains(ip("fd12::1")));
    assert_eq!(list.to_string(), "10.0.0.0/8,192.0.2.1/32,fd00::/8");
    assert!(proxies("").is_empty());
    assert_eq!(
        "10.0.0.0/33".parse::<TrustedProxies>(),
        Err(BadProxy("10.0.0.0/33".into()))
    );
    assert!("example.com".parse::<TrustedProxies>().is_err());
    assert!("10.0.0.0/8 192.0.2.1".parse::<TrustedProxies>().is_err());
}

#[test]
fn any_header_bytes_give_an_answer_without_panicking() {
    // A deterministic stream of header lines built from the characters the parsers split on,
    // plus multi-byte UTF-8 and invalid bytes: no input makes the parsers panic (slicing
    // off a character boundary, say), and a known peer always leaves an answer.
    const PIECES: [&[u8]; 24] = [
        b"for=",
        b"For=",
        b"\"",
        b"[",
        b"]",
        b":",
        b",",
        b";",
        b"=",
        b" ",
        b"\t",
        b"\\",
        b"_x",
        b"unknown",
        b"192.0.2.7",
        b"10.0.0.1",
        b"2001:db8::1",
        b"::ffff:10.1.1.1",
        b"4711",
        b"proto=https",
        "é".as_bytes(),
        b"\xff",
        b"",
        b"by=",
    ];
    let mut seed: u64 = 0x5eed;
    let mut next = || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        seed >> 33
    };
    let trusted = proxies("10.0.0.0/8");
    let peer = ip("10.0.0.2");
    for _ in 0..20_000 {
        let mut line = Vec::new();
        for _ in 0..next() % 12 {
            line.extend_from_slice(PIECES[(next() % 24) as usize]);
        }
        let lines: [&[u8]; 1] = [&line];
        for (forwarded, xff) in [(&lines[..], &[][..]), (&[][..], &lines[..])] {
            // A known peer always leaves an answer: at worst itself.
            assert!(
                resolve(Some(peer), &trusted, forwarded, xff).is_some(),
                "{:?}",
                String::from_utf8_lossy(&line)
            );
        }
    }
}

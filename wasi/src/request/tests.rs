use super::*;

fn head(headers: &[(&str, &str)]) -> RequestHead {
    RequestHead {
        method: "GET".into(),
        path_with_query: None,
        authority: Some("auth.example".into()),
        headers: headers
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.as_bytes().to_vec()))
            .collect(),
        peer: None,
    }
}

#[test]
fn host_comes_from_the_authority_only_when_missing() {
    let req = head(&[("X-Thing", "1")]).into_request(Vec::new());
    assert_eq!(req.path_with_query, "/");
    assert_eq!(req.header("host"), Some("auth.example"));
    assert_eq!(req.headers[0].0, "x-thing");
    let req = head(&[("Host", "sent.example")]).into_request(Vec::new());
    assert_eq!(
        req.headers_named("host").collect::<Vec<_>>(),
        ["sent.example"]
    );
}

#[test]
fn a_client_sent_address_never_reaches_core() {
    let forged = [
        ("Sesame-Client-Addr", "203.0.113.9"),
        (CLIENT_ADDR_HEADER, "198.51.100.1"),
    ];
    let req = head(&forged).into_request(Vec::new());
    assert_eq!(req.header(CLIENT_ADDR_HEADER), None);
    assert_eq!(req.peer, None);
    assert_eq!(req.client_address(), None);
    let mut from_runtime = head(&forged);
    from_runtime.peer = Some("127.0.0.1".parse().unwrap());
    let req = from_runtime.into_request(Vec::new());
    assert_eq!(req.header(CLIENT_ADDR_HEADER), None);
    assert_eq!(req.client_address(), Some("127.0.0.1".parse().unwrap()));
}

#[test]
fn the_runtime_header_names_the_peer_by_its_last_copy() {
    let headers = head(&[
        ("spin-client-addr", "203.0.113.9:1234"),
        ("Spin-Client-Addr", "[::ffff:192.0.2.1]:443"),
    ])
    .headers;
    assert_eq!(
        peer_in_header(&headers, "spin-client-addr"),
        Some("192.0.2.1".parse().unwrap())
    );
    let garbled = head(&[("spin-client-addr", "not an address")]).headers;
    assert_eq!(peer_in_header(&garbled, "spin-client-addr"), None);
    assert_eq!(peer_in_header(&[], "spin-client-addr"), None);
}

#[test]
fn bodies_are_read_to_one_byte_past_the_limit() {
    let mut calls = 0;
    let body = read_body(|want| {
        calls += 1;
        Ok::<_, ()>(Chunk::Data(vec![b'x'; usize::try_from(want).unwrap()]))
    })
    .unwrap();
    assert_eq!(body.len(), MAX_BODY_BYTES + 1);
    assert_eq!(
        calls, 2,
        "64 KiB, then the one byte that tells it is too large"
    );
    let mut chunks = vec![Chunk::End, Chunk::Data(b"ab".to_vec()), Chunk::Data(vec![])];
    assert_eq!(
        read_body(|_| Ok::<_, ()>(chunks.pop().unwrap())).unwrap(),
        b"ab"
    );
    assert_eq!(read_body(|_| Err::<Chunk, _>("broken")), Err("broken"));
}

#[test]
fn responses_announce_their_length() {
    let response = Response {
        status: 200,
        headers: vec![("content-type".into(), "text/plain".into())],
        body: b"hello".to_vec(),
        fault: None,
        route: None,
        user_id: None,
    };
    assert_eq!(
        response_fields(&response),
        [
            ("content-type".to_owned(), b"text/plain".to_vec()),
            ("content-length".to_owned(), b"5".to_vec())
        ]
    );
}

#[test]
fn a_host_given_peer_is_read_with_or_without_its_port() {
    let v4: IpAddr = "192.0.2.1".parse().unwrap();
    assert_eq!(peer_address(Some("192.0.2.1")), Some(v4));
    assert_eq!(peer_address(Some("192.0.2.1:8080")), Some(v4));
    assert_eq!(peer_address(Some("::ffff:192.0.2.1")), Some(v4));
    assert_eq!(peer_address(Some("a proxy")), None);
    assert_eq!(peer_address(None), None);
}

use super::*;

fn original(method: &str, headers: &[(&str, &str)]) -> Original {
    Original {
        method: method.into(),
        scheme: "http".into(),
        host: "app.example:3000".into(),
        path_with_query: "/app/x?y=1".into(),
        client_ip: Some("192.0.2.7".into()),
        headers: headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), v.as_bytes().to_vec()))
            .collect(),
    }
}

fn get<'a>(fields: &'a Fields, name: &str) -> Vec<&'a str> {
    fields
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| std::str::from_utf8(v).unwrap_or("<binary>"))
        .collect()
}

#[test]
fn the_app_never_gets_a_clients_identity_or_forwarding_headers() {
    let client = original(
        "GET",
        &[
            ("Remote-User", "admin"),
            ("remote-groups", "admin"),
            ("X-Sesame-User", "someone"),
            ("X-Forwarded-For", "10.0.0.1"),
            ("X-Forwarded-Host", "evil.example"),
            ("Forwarded", "for=10.0.0.1"),
            ("X-Real-IP", "10.0.0.1"),
            ("X-Original-URL", "http://evil.example/"),
            ("spin-client-addr", "10.0.0.1:1"),
            ("connection", "close, x-secret-hop"),
            ("x-secret-hop", "1"),
            ("transfer-encoding", "chunked"),
            ("host", "app.example:3000"),
            ("cookie", "a=b"),
            ("x-custom", "kept"),
            ("Remote_User", "admin"),
            ("remote_groups", "admin"),
            ("X_Sesame_User", "someone"),
            ("x_forwarded_host", "evil.example"),
            ("X_Real_IP", "10.0.0.1"),
            ("spin_client_addr", "10.0.0.1:1"),
        ],
    );
    let identity = vec![("remote-user".to_owned(), b"alice".to_vec())];
    let fields = app_headers(&client, &identity);
    assert_eq!(get(&fields, "remote-user"), ["alice"]);
    assert!(get(&fields, "remote-groups").is_empty());
    assert!(get(&fields, "x-sesame-user").is_empty());
    assert_eq!(get(&fields, "x-forwarded-for"), ["192.0.2.7"]);
    assert_eq!(get(&fields, "x-forwarded-host"), ["app.example:3000"]);
    for gone in [
        "Forwarded",
        "X-Real-IP",
        "X-Original-URL",
        "spin-client-addr",
        "connection",
        "x-secret-hop",
        "transfer-encoding",
        "host",
        "X-Forwarded-For",
        "Remote_User",
        "remote_groups",
        "X_Sesame_User",
        "x_forwarded_host",
        "X_Real_IP",
        "spin_client_addr",
    ] {
        assert!(get(&fields, gone).is_empty(), "{gone} is dropped");
    }
    // Nothing that reads as an identity or forwarding header once `_` is `-` is left.
    for (name, _) in &fields {
        let n = normalised(name);
        assert!(
            !is_forwarding(&n)
                || n == "x-forwarded-for"
                || n == "x-forwarded-host"
                || n == "x-forwarded-proto",
            "{name}"
        );
        assert!(!is_identity(name) || name == "remote-user", "{name}");
    }
    assert_eq!(get(&fields, "cookie"), ["a=b"]);
    assert_eq!(get(&fields, "x-custom"), ["kept"]);
}

#[test]
fn the_check_describes_the_request_itself_and_carries_only_credentials() {
    let client = original(
        "POST",
        &[
            ("cookie", "s=1"),
            ("Authorization", "Bearer t"),
            ("X-Forwarded-Method", "GET"),
            ("X-Forwarded-Uri", "/public"),
            ("remote-user", "admin"),
            ("accept", "text/html"),
        ],
    );
    let fields = check_headers(&client);
    assert_eq!(get(&fields, "cookie"), ["s=1"]);
    assert_eq!(get(&fields, "Authorization"), ["Bearer t"]);
    assert_eq!(get(&fields, "x-forwarded-method"), ["POST"]);
    assert_eq!(get(&fields, "x-forwarded-uri"), ["/app/x?y=1"]);
    assert_eq!(get(&fields, "x-forwarded-proto"), ["http"]);
    assert!(get(&fields, "X-Forwarded-Method").is_empty());
    assert!(get(&fields, "remote-user").is_empty());
    // A POST is never a navigation to redirect, whatever it accepts.
    assert_eq!(get(&fields, "accept"), ["application/json"]);
}

#[test]
fn only_a_200_forwards_and_only_a_browser_navigation_is_redirected() {
    let browser = original("GET", &[("accept", "text/html,*/*")]);
    let api = original("GET", &[("accept", "application/json")]);
    let form = original("POST", &[("accept", "text/html")]);
    let identity = vec![
        ("Remote-User".to_owned(), b"alice".to_vec()),
        ("content-type".to_owned(), b"application/json".to_vec()),
    ];
    assert_eq!(
        verdict(&api, 200, &identity, "/login"),
        Verdict::Forward(vec![("remote-user".to_owned(), b"alice".to_vec())])
    );
    assert_eq!(
        verdict(&browser, 401, &[], "/login"),
        Verdict::SignIn("/login?rd=http%3A%2F%2Fapp.example%3A3000%2Fapp%2Fx%3Fy%3D1".into())
    );
    assert_eq!(verdict(&api, 401, &[], "/login"), Verdict::Refuse);
    assert_eq!(verdict(&form, 401, &[], "/login"), Verdict::Refuse);
    assert_eq!(verdict(&browser, 403, &[], "/login"), Verdict::Refuse);
    let location = vec![("location".to_owned(), b"http://s/login?rd=x".to_vec())];
    assert_eq!(
        verdict(&browser, 302, &location, "/login"),
        Verdict::SignIn("http://s/login?rd=x".into())
    );
    // A redirect for a program, a 5xx or anything unexpected keeps the request out.
    for status in [302, 500, 503, 204, 100] {
        assert_eq!(
            verdict(&api, status, &location, "/login"),
            Verdict::Unavailable
        );
    }
}

#[test]
fn the_request_is_described_on_the_public_origin() {
    let client = original(
        "GET",
        &[("host", "public.example.com"), ("accept", "text/html")],
    );
    let fields = check_headers(&client);
    assert_eq!(get(&fields, "x-forwarded-host"), ["app.example:3000"]);
    assert_eq!(
        verdict(&client, 401, &[], "https://app.example:3000/login"),
        Verdict::SignIn(
            "https://app.example:3000/login?rd=http%3A%2F%2Fapp.example%3A3000%2Fapp%2Fx%3Fy%3D1"
                .into()
        )
    );
}

#[test]
fn sesames_cookies_and_api_key_never_reach_the_app() {
    let client = original(
        "GET",
        &[
            (
                "cookie",
                "theme=dark; sesame_session=s1;__Host-sesame_session=s2; lang=de",
            ),
            (
                "Cookie",
                "__Secure-sesame_session=s3; sesame_tf=t; SESAME_US=u",
            ),
            ("cookie", "__Host-sesame_rd=r; sesame_wan=w; cart=1=2"),
            ("authorization", "Basic YTpi"),
        ],
    );
    let fields = app_headers(&client, &Vec::new());
    assert_eq!(get(&fields, "cookie"), ["theme=dark; lang=de", "cart=1=2"]);
    assert!(
        get(&fields, "Cookie").is_empty(),
        "a header of only Sesame's is dropped"
    );
    assert_eq!(get(&fields, "authorization"), ["Basic YTpi"]);

    for key in [
        "Bearer sesame_ak_0123_secret",
        "bearer  sesame_ak_x",
        " BEARER sesame_ak_y",
        "Bearer\tsesame_ak_z",
    ] {
        let client = original("GET", &[("authorization", key)]);
        assert!(
            get(&app_headers(&client, &Vec::new()), "authorization").is_empty(),
            "{key}"
        );
    }
    // An access token (or the app's own bearer) is the app's to read.
    let client = original("GET", &[("authorization", "Bearer eyJ.eyJ.sig")]);
    assert_eq!(
        get(&app_headers(&client, &Vec::new()), "authorization"),
        ["Bearer eyJ.eyJ.sig"]
    );
}

#[test]
fn header_weight_counts_every_field_with_room_for_the_hosts_overhead() {
    let one = vec![("x-big".to_owned(), vec![b'a'; 1000])];
    assert_eq!(fields_size(&one), 5 + 1000 + FIELD_OVERHEAD);
    // Many small fields weigh as much as one large one: the count is bounded too.
    let many: Fields = (0..600)
        .map(|i| (format!("x-{i}"), b"1".to_vec()))
        .collect();
    assert!(fields_size(&many) > CLIENT_HEADERS_LIMIT);
    let big = vec![("x-big".to_owned(), vec![b'a'; 130_000])];
    assert!(fields_size(&big) > CLIENT_HEADERS_LIMIT);
    // What passes the client limit, plus the guard's own headers, stays under the host's.
    const { assert!(CLIENT_HEADERS_LIMIT + 16 * 1024 < FIELDS_LIMIT) };
    const { assert!(FIELDS_LIMIT < 128 * 1024) };
}

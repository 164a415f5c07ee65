//! Re-authentication and password checks end to end against the real `sesame` binary: the
//! shared suite `sesame_tests::suites::reauthentication`, run against `sesame serve`.

sesame_tests::reauthentication_suite!(Sesame);

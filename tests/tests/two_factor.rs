//! Two-factor end to end against the real `sesame` binary and SQLite file: the shared suite
//! `sesame_tests::suites::two_factor`, run against `sesame serve`.

sesame_tests::two_factor_suite!(Sesame);

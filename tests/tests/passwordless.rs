//! Unified sign-in (mailed codes and links, passwordless accounts, email as a second factor)
//! through `sesame serve`, mail read from its outbox.

sesame_tests::passwordless_suite!(Sesame);

//! The machinery of Sesame's `SESAME_*` settings: one [`Setting`] row per variable (name,
//! default, documentation, parser), the parsers those rows share, and the master secret.
//!
//! Each feature owns the rows of its own settings struct; [`crate::config`] joins them into the
//! one table that reading the variables, the host's pass-through list and help text, the Spin
//! manifest check and the embedding wrappers' option lists are all derived from.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// One `SESAME_*` variable that sets a field of `S`.
pub struct Setting<S> {
    /// The variable's name, `SESAME_…`.
    pub name: &'static str,
    /// The value that leaves `S`'s default unchanged, as a deployment would write it; empty
    /// when the default is not a fixed value (derived from another setting, or required).
    pub default: &'static str,
    /// One line for people: what it sets, in which unit, and what is accepted.
    pub doc: &'static str,
    /// Parses `value` (the second argument is the variable's name, for messages) into `S`, or
    /// says what is wrong with it.
    pub apply: fn(&mut S, &'static str, &str) -> Result<()>,
}

impl<S> Setting<S> {
    /// The row without its parser, for lists shown to people and checked by tests.
    pub fn describe(&self) -> SettingInfo {
        SettingInfo {
            name: self.name,
            default: self.default,
            doc: self.doc,
        }
    }
}

/// What a host, a manifest or a wrapper needs to know of a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettingInfo {
    /// The variable's name.
    pub name: &'static str,
    /// Its default as text (empty: derived or required).
    pub default: &'static str,
    /// What it sets.
    pub doc: &'static str,
}

/// Applies every row of `section` whose variable `lookup` finds, in the section's order (so a
/// later row wins over an earlier one that sets the same field, which is how aliases yield to
/// the current name).
pub fn apply_section<'v, S>(
    target: &mut S,
    section: &[Setting<S>],
    lookup: impl Fn(&str) -> Option<&'v str>,
) -> Result<()> {
    for setting in section {
        if let Some(value) = lookup(setting.name) {
            (setting.apply)(target, setting.name, value)?;
        }
    }
    Ok(())
}

/// Stores a parsed value into its field: the shape every row's parser shares.
pub fn set<T>(field: &mut T, value: Result<T>) -> Result<()> {
    *field = value?;
    Ok(())
}

/// A section of [`Setting`] rows over the fields of one settings type, one line a row:
/// `"SESAME_NAME" = "default", field <- parser, "what it sets";`, where `parser(name, value)`
/// gives the field's value or the error naming the variable. Rows apply in the order written.
macro_rules! section {
    ($($name:literal = $default:literal, $field:ident <- $parse:expr, $doc:literal;)*) => {
        &[$($crate::settings::Setting {
            name: $name,
            default: $default,
            doc: $doc,
            apply: |c, name, v| $crate::settings::set(&mut c.$field, ($parse)(name, v)),
        },)*]
    };
}
pub(crate) use section;

/// Free text, as given.
pub fn text(_name: &str, value: &str) -> Result<String> {
    Ok(value.to_owned())
}

/// Free text that, when given, replaces a default derived elsewhere.
pub fn given_text(_name: &str, value: &str) -> Result<Option<String>> {
    Ok(Some(value.to_owned()))
}

/// A comma-separated list of free text.
pub fn text_list(_name: &str, value: &str) -> Result<Vec<String>> {
    Ok(list(value).map(str::to_owned).collect())
}

/// A `true`/`false` (or `1`/`0`) setting.
pub fn boolean(name: &str, value: &str) -> Result<bool> {
    match value {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(Error::Config(format!("{name} must be true or false"))),
    }
}

/// A non-negative integer setting.
pub fn number<T: std::str::FromStr>(name: &str, value: &str) -> Result<T> {
    value
        .parse()
        .map_err(|_| Error::Config(format!("{name} must be a non-negative integer")))
}

/// A duration given in seconds, as milliseconds (saturating: no setting can overflow).
pub fn seconds_as_ms(name: &str, value: &str) -> Result<u64> {
    Ok(number::<u64>(name, value)?.saturating_mul(1000))
}

/// A comma-separated list, items trimmed, empty items dropped.
pub fn list(value: &str) -> impl Iterator<Item = &str> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
}

/// The host's master secret, from which purpose-specific keys are derived.
///
/// At least 32 bytes. `Debug` never prints it; memory is wiped on drop.
#[derive(Clone)]
pub struct MasterSecret(Zeroizing<Vec<u8>>);

impl MasterSecret {
    /// Shortest accepted secret, in bytes.
    pub const MIN_BYTES: usize = 32;

    /// Wraps raw secret bytes; fails when shorter than [`Self::MIN_BYTES`].
    pub fn new(bytes: Vec<u8>) -> Result<Self> {
        if bytes.len() < Self::MIN_BYTES {
            return Err(Error::Config(format!(
                "the secret must be at least {} bytes",
                Self::MIN_BYTES
            )));
        }
        Ok(MasterSecret(Zeroizing::new(bytes)))
    }

    /// Reads the base64url text of `SESAME_SECRET` (padding allowed).
    pub fn from_base64url(name: &str, text: &str) -> Result<Self> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .map_err(|_| Error::Config(format!("{name} is not base64url")))?;
        MasterSecret::new(bytes).map_err(|e| match e {
            Error::Config(why) => Error::Config(format!("{name}: {why}")),
            other => other,
        })
    }

    /// The raw bytes, for key derivation inside core only.
    pub(crate) fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for MasterSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterSecret(..)")
    }
}

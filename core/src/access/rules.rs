//! Access rules as a deployment writes them (TOML), read into matchers once.
//!
//! ```toml
//! default_policy = "deny"
//!
//! [[rule]]
//! domain = "public.example.com"
//! policy = "bypass"
//!
//! [[rule]]
//! domain = ["*.example.com"]
//! path = "/admin"                 # a prefix, on segment boundaries
//! path_regex = "^/api/v[0-9]+/"   # or a regular expression over the normalised path
//! method = ["POST", "DELETE"]
//! network = ["10.0.0.0/8"]
//! subject = ["role:admin", "permission:deploy", "user:ada@example.com", "scope:ci"]
//! policy = "two_factor"
//! max_auth_age_secs = 300
//! ```
//!
//! Every criterion a rule names must hold; within a criterion, any listed value will do.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::Deserialize;

/// What a matching rule asks of the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Anyone passes, signed in or not.
    Bypass,
    /// A signed-in person (session or token login), or an API key the rule names by scope.
    OneFactor,
    /// A person whose sign-in included a second factor or a passkey with user verification.
    TwoFactor,
    /// Nobody passes.
    Deny,
}

/// An access-rules document that cannot be used, with the line it is on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("access rules, line {line}: {reason}")]
pub struct RulesError {
    /// The 1-based line of the document the problem is on.
    pub line: usize,
    /// What is wrong there.
    pub reason: String,
}

/// The most rules a document may hold; each request may be matched against all of them.
pub const MAX_RULES: usize = 1000;

/// The longest rules document, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// The longest path regex, and the most regex text in one document: every component instance
/// compiles the rules in its own bounded memory, so what they may cost is bounded here.
pub const MAX_REGEX_BYTES: usize = 1024;
/// See [`MAX_REGEX_BYTES`].
pub const MAX_REGEX_BYTES_IN_ALL: usize = 16 * 1024;
/// The most path regexes in one document; with [`REGEX_COMPILED_LIMIT`] it bounds what the
/// compiled regexes take (short text can compile large: `b{2040}` is 7 bytes).
pub const MAX_REGEXES: usize = 256;
/// The largest compiled regex, roughly in bytes (`regex-lite`'s size limit).
pub const REGEX_COMPILED_LIMIT: usize = 8 * 1024;

/// One subject a rule may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectPattern {
    /// A user, by id, email or username (`user:...`).
    User(String),
    /// A holder of a role (`role:...`).
    Role(String),
    /// A holder of a permission through a role (`permission:...`).
    Permission(String),
    /// An API key holding a scope (`scope:...`).
    Scope(String),
}

/// A domain pattern: exact, or `*.` and a suffix (any name below it, not the suffix itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainPattern {
    /// Exactly this host.
    Exact(String),
    /// Any host ending in `.` + this suffix.
    Below(String),
}

impl DomainPattern {
    /// Whether `host` (lower-case, as [`super::Target`] has it) matches.
    pub fn matches(&self, host: &str) -> bool {
        match self {
            DomainPattern::Exact(name) => host == name,
            DomainPattern::Below(suffix) => host
                .strip_suffix(suffix.as_str())
                .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
        }
    }
}

/// One rule, ready to match.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The 1-based line the rule starts on, for logs.
    pub line: usize,
    /// Hosts it applies to (empty: any).
    pub domains: Vec<DomainPattern>,
    /// Path prefixes (empty together with `path_regexes`: any path).
    pub path_prefixes: Vec<String>,
    /// Regular expressions over the normalised path.
    pub path_regexes: Vec<regex_lite::Regex>,
    /// Methods, upper-case (empty: any).
    pub methods: Vec<String>,
    /// Client networks (empty: any client).
    pub networks: Vec<IpNet>,
    /// Who it applies to (empty: anyone).
    pub subjects: Vec<SubjectPattern>,
    /// What it asks.
    pub policy: Policy,
    /// How recent the sign-in must be, in milliseconds, when the rule says.
    pub max_auth_age_ms: Option<u64>,
}

impl Rule {
    /// Whether the rule's request criteria (all but the subject) hold.
    pub fn matches_request(&self, target: &super::Target, client: Option<IpAddr>) -> bool {
        (self.domains.is_empty() || self.domains.iter().any(|d| d.matches(&target.host)))
            && self.matches_path(&target.path)
            && (self.methods.is_empty() || self.methods.contains(&target.method))
            && (self.networks.is_empty()
                || client.is_some_and(|ip| self.networks.iter().any(|net| net.contains(&ip))))
    }

    fn matches_path(&self, path: &str) -> bool {
        if self.path_prefixes.is_empty() && self.path_regexes.is_empty() {
            return true;
        }
        self.path_prefixes.iter().any(|prefix| under(path, prefix))
            || self.path_regexes.iter().any(|re| re.is_match(path))
    }
}

/// Whether `path` is `prefix` or below it: `/admin` covers `/admin` and `/admin/x`, not
/// `/administrator`; a prefix ending in `/` covers what starts with it.
fn under(path: &str, prefix: &str) -> bool {
    match path.strip_prefix(prefix) {
        None => false,
        Some(rest) => prefix.ends_with('/') || rest.is_empty() || rest.starts_with('/'),
    }
}

/// A deployment's access rules.
#[derive(Debug, Clone)]
pub struct AccessRules {
    /// The rules, first match wins.
    pub rules: Vec<Rule>,
    /// What applies when no rule matches.
    pub default_policy: Policy,
}

impl AccessRules {
    /// Whether some rule asks how recent the sign-in is (then the caller's re-verification
    /// is read too).
    pub fn asks_auth_age(&self) -> bool {
        self.rules.iter().any(|rule| rule.max_auth_age_ms.is_some())
    }
}

/// One value or several.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn as_slice(&self) -> &[String] {
        match self {
            OneOrMany::One(one) => std::slice::from_ref(one),
            OneOrMany::Many(many) => many,
        }
    }

    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    default_policy: Option<Policy>,
    #[serde(default)]
    rule: Vec<toml::Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    domain: Option<OneOrMany>,
    path: Option<OneOrMany>,
    path_regex: Option<OneOrMany>,
    method: Option<OneOrMany>,
    network: Option<OneOrMany>,
    subject: Option<OneOrMany>,
    policy: Policy,
    max_auth_age_secs: Option<u64>,
}

impl AccessRules {
    /// Reads a rules document. Without `default_policy` the default is `deny`: a request no
    /// rule foresaw is refused.
    pub fn parse(text: &str) -> Result<Self, RulesError> {
        if text.len() > MAX_DOCUMENT_BYTES {
            return Err(RulesError {
                line: 1,
                reason: format!("the document is larger than {MAX_DOCUMENT_BYTES} bytes"),
            });
        }
        let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let document: Document = toml::from_str(text).map_err(|e| RulesError {
            line: e.span().map_or(1, |span| line_of(span.start)),
            reason: e.message().trim().to_owned(),
        })?;
        if document.rule.len() > MAX_RULES {
            return Err(RulesError {
                line: 1,
                reason: format!("more than {MAX_RULES} rules"),
            });
        }
        let (mut regex_bytes, mut regexes) = (0usize, 0usize);
        for spanned in &document.rule {
            let rule = spanned.get_ref();
            for re in rule.path_regex.iter().flat_map(OneOrMany::as_slice) {
                regex_bytes += re.len();
                regexes += 1;
                if re.len() > MAX_REGEX_BYTES
                    || regex_bytes > MAX_REGEX_BYTES_IN_ALL
                    || regexes > MAX_REGEXES
                {
                    return Err(RulesError {
                        line: line_of(spanned.span().start),
                        reason: format!(
                            "path_regex: at most {MAX_REGEX_BYTES} bytes each, {MAX_REGEX_BYTES_IN_ALL} in all and {MAX_REGEXES} regexes"
                        ),
                    });
                }
            }
        }
        let rules = document
            .rule
            .into_iter()
            .map(|spanned| {
                let line = line_of(spanned.span().start);
                compile(spanned.into_inner(), line).map_err(|reason| RulesError { line, reason })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AccessRules {
            rules,
            default_policy: document.default_policy.unwrap_or(Policy::Deny),
        })
    }

    /// Whether `host` is one the rules protect (named by a rule's domain): only there may a
    /// signed-in browser be sent back.
    pub fn protects(&self, host: &str) -> bool {
        self.rules
            .iter()
            .flat_map(|rule| &rule.domains)
            .any(|domain| domain.matches(host))
    }
}

fn compile(raw: RawRule, line: usize) -> Result<Rule, String> {
    let list = |value: Option<OneOrMany>| value.map(OneOrMany::into_vec).unwrap_or_default();
    let domains = list(raw.domain)
        .iter()
        .map(|d| domain_pattern(d))
        .collect::<Result<_, _>>()?;
    let path_prefixes = list(raw.path)
        .into_iter()
        .map(|p| {
            if p.starts_with('/') && super::Target::from_parts("GET", "https", "x", &p).is_ok_and(|t| t.path == p) {
                Ok(p)
            } else {
                Err(format!("path '{p}' is not a normalised path starting with '/' (write it as it reads after decoding)"))
            }
        })
        .collect::<Result<_, _>>()?;
    let path_regexes = list(raw.path_regex)
        .iter()
        .map(|re| {
            regex_lite::RegexBuilder::new(re)
                .size_limit(REGEX_COMPILED_LIMIT)
                .build()
                .map_err(|e| format!("path_regex '{re}': {e}"))
        })
        .collect::<Result<_, _>>()?;
    let methods = list(raw.method)
        .into_iter()
        .map(|m| {
            if !m.is_empty() && m.len() <= 16 && m.bytes().all(|b| b.is_ascii_uppercase()) {
                Ok(m)
            } else {
                Err(format!("method '{m}' is not an upper-case method name"))
            }
        })
        .collect::<Result<_, _>>()?;
    let networks = list(raw.network)
        .iter()
        .map(|n| {
            n.parse::<IpNet>()
                .or_else(|_| n.parse::<IpAddr>().map(IpNet::from))
                .map(|net| net.trunc())
                .map_err(|_| format!("network '{n}' is not an address or CIDR block"))
        })
        .collect::<Result<_, _>>()?;
    let subjects = list(raw.subject)
        .iter()
        .map(|s| subject_pattern(s))
        .collect::<Result<_, _>>()?;
    let max_auth_age_ms = match raw.max_auth_age_secs {
        None => None,
        Some(0) => return Err("max_auth_age_secs must be at least 1".into()),
        Some(secs) => Some(secs.saturating_mul(1000)),
    };
    if max_auth_age_ms.is_some() && matches!(raw.policy, Policy::Bypass | Policy::Deny) {
        return Err("max_auth_age_secs needs the policy one_factor or two_factor".into());
    }
    Ok(Rule {
        line,
        domains,
        path_prefixes,
        path_regexes,
        methods,
        networks,
        subjects,
        policy: raw.policy,
        max_auth_age_ms,
    })
}

fn domain_pattern(text: &str) -> Result<DomainPattern, String> {
    let bad = |_| format!("domain '{text}' is not a host name or '*.' and a host name");
    match text.strip_prefix("*.") {
        Some(suffix) => super::target::dns_name(suffix)
            .map(DomainPattern::Below)
            .map_err(bad),
        None => super::target::dns_name(text)
            .map(DomainPattern::Exact)
            .map_err(bad),
    }
}

fn subject_pattern(text: &str) -> Result<SubjectPattern, String> {
    let (kind, name) = text
        .split_once(':')
        .filter(|(_, name)| !name.is_empty())
        .ok_or_else(|| {
            format!("subject '{text}' is not kind:name (user, role, permission, scope)")
        })?;
    let name = name.to_owned();
    match kind {
        "user" => Ok(SubjectPattern::User(name)),
        "role" => Ok(SubjectPattern::Role(name)),
        "permission" => Ok(SubjectPattern::Permission(name)),
        "scope" => Ok(SubjectPattern::Scope(name)),
        _ => Err(format!(
            "subject '{text}': the kind is one of user, role, permission, scope"
        )),
    }
}

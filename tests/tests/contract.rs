//! The WIT package `sesame:auth` is a contract with hosts outside this repository (the Python,
//! Node and Go packages, and whatever people embed it in). Its version follows the rule in
//! `docs/embedding.md`: any change to what a host sees bumps the version; a minor bump may only
//! add (functions, types, interfaces, exports), everything else is a major bump. Each released
//! version is kept in `wit/released/`, so these tests can tell what changed since.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use sesame_tests::repo_root;

/// A semantic version `major.minor.patch`.
type Version = (u64, u64, u64);

fn parse_version(text: &str) -> Version {
    let parts: Vec<u64> = text
        .split('.')
        .map(|p| {
            p.parse()
                .unwrap_or_else(|_| panic!("not a version: {text}"))
        })
        .collect();
    assert_eq!(parts.len(), 3, "not a major.minor.patch version: {text}");
    (parts[0], parts[1], parts[2])
}

fn show((major, minor, patch): Version) -> String {
    format!("{major}.{minor}.{patch}")
}

/// The WIT without comments (doc comments do not change what a host links against) and with
/// all whitespace collapsed, so only a change of declarations changes it.
fn declarations(wit: &str) -> String {
    let without_comments: Vec<&str> = wit
        .lines()
        .map(|line| line.find("//").map_or(line, |at| &line[..at]))
        .collect();
    without_comments
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        // Punctuation spacing is not meaning either.
        .replace(" ;", ";")
        .replace("( ", "(")
        .replace(" )", ")")
}

/// The version in `package sesame:auth@X.Y.Z;`.
fn package_version(wit: &str) -> Version {
    let decl = declarations(wit);
    let rest = decl
        .split("package sesame:auth@")
        .nth(1)
        .expect("the WIT declares package sesame:auth@VERSION");
    parse_version(rest.split(';').next().unwrap_or_default().trim())
}

/// Each top-level block (`interface NAME`, `world NAME`) and its items, by a name that stays
/// the same when the item changes: `func NAME`, `record NAME`, `use ...`, `import ...`.
fn items(wit: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let decl = declarations(wit);
    let mut blocks = BTreeMap::new();
    let mut rest = decl.as_str();
    while let Some(open) = rest.find('{') {
        let header = rest[..open].rsplit(';').next().unwrap_or_default().trim();
        let header = header
            .rsplit('}')
            .next()
            .unwrap_or_default()
            .trim()
            .to_string();
        let (body, after) = block_body(&rest[open + 1..]);
        blocks.insert(header, block_items(body));
        rest = after;
    }
    blocks
}

/// The text up to the brace closing the one just opened, and what follows it.
fn block_body(text: &str) -> (&str, &str) {
    let mut depth = 1;
    for (at, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return (&text[..at], &text[at + 1..]);
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced braces in the WIT");
}

fn block_items(body: &str) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    let mut rest = body.trim();
    while !rest.is_empty() {
        // An item ends at `;` or, for a type with a body (record, variant, enum, flags,
        // resource), at its closing brace, whichever comes first at depth 0.
        let semi = rest.find(';');
        let open = rest.find('{');
        let (item, after) = match (semi, open) {
            (Some(s), Some(o)) if o < s => {
                let (inner, after) = block_body(&rest[o + 1..]);
                (format!("{} {{{}}}", rest[..o].trim(), inner.trim()), after)
            }
            (Some(s), _) => (rest[..s].trim().to_string(), &rest[s + 1..]),
            (None, Some(o)) => {
                let (inner, after) = block_body(&rest[o + 1..]);
                (format!("{} {{{}}}", rest[..o].trim(), inner.trim()), after)
            }
            (None, None) => (rest.to_string(), ""),
        };
        found.insert(item_key(&item), item);
        rest = after.trim();
    }
    found
}

fn item_key(item: &str) -> String {
    let words: Vec<&str> = item.split_whitespace().collect();
    match words.as_slice() {
        [
            kind @ ("record" | "variant" | "enum" | "flags" | "resource" | "type"),
            name,
            ..,
        ] => {
            format!("{kind} {}", name.trim_end_matches(['{', '=']))
        }
        [first, ..] if first.ends_with(':') => format!("func {}", first.trim_end_matches(':')),
        _ => item.to_string(),
    }
}

fn released() -> Vec<(Version, PathBuf)> {
    let dir = repo_root().join("wit").join("released");
    let mut found: Vec<(Version, PathBuf)> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?.to_string();
            let version = name.strip_prefix("sesame-auth@")?.strip_suffix(".wit")?;
            Some((parse_version(version), path))
        })
        .collect();
    found.sort();
    found
}

fn current_wit() -> String {
    fs::read_to_string(repo_root().join("wit").join("sesame.wit")).unwrap()
}

/// A change to the WIT without a new version would reach hosts that still link against the
/// old one: the current WIT must equal the released snapshot of its own version.
#[test]
fn the_wit_cannot_change_without_a_new_version() {
    let wit = current_wit();
    let version = package_version(&wit);
    let snapshot = repo_root()
        .join("wit")
        .join("released")
        .join(format!("sesame-auth@{}.wit", show(version)));
    let snapshot_text = fs::read_to_string(&snapshot).unwrap_or_else(|_| {
        panic!(
            "wit/sesame.wit is version {v}, which has no snapshot {}: a new version copies the \
             WIT there (docs/embedding.md)",
            snapshot.display(),
            v = show(version)
        )
    });
    assert!(
        declarations(&wit) == declarations(&snapshot_text),
        "wit/sesame.wit changed but its version ({}) did not: bump it by the rule in \
         docs/embedding.md (additions: minor, changes: major), copy it to wit/released/ and say \
         what changed in embed/CHANGELOG.md",
        show(version)
    );
    let newest = released().last().map(|(v, _)| *v);
    assert_eq!(
        newest,
        Some(version),
        "the current version is the newest released one"
    );
}

/// Between two released versions with the same major, every function, type, `use` and world
/// import of the older is still there unchanged, and no world gained an import (a host would
/// have to supply it): a minor release only adds.
#[test]
fn a_minor_version_only_adds() {
    let versions = released();
    assert!(
        !versions.is_empty(),
        "wit/released/ holds the released versions"
    );
    for pair in versions.windows(2) {
        let ((old_version, old_path), (new_version, new_path)) = (&pair[0], &pair[1]);
        if old_version.0 != new_version.0 {
            continue;
        }
        let old = items(&fs::read_to_string(old_path).unwrap());
        let new = items(&fs::read_to_string(new_path).unwrap());
        let span = format!("{} -> {}", show(*old_version), show(*new_version));
        for (block, old_items) in &old {
            let new_items = new
                .get(block)
                .unwrap_or_else(|| panic!("{span}: `{block}` was removed; that needs a major"));
            for (key, old_item) in old_items {
                assert_eq!(
                    new_items.get(key),
                    Some(old_item),
                    "{span}: `{block}` changed `{key}`; that needs a major"
                );
            }
            if block.starts_with("world ") {
                for key in new_items.keys().filter(|k| k.starts_with("import ")) {
                    assert!(
                        old_items.contains_key(key),
                        "{span}: `{block}` gained `{key}`, which every host must now supply; \
                         that needs a major"
                    );
                }
            }
        }
    }
}

/// The rule's own reading of a WIT, on a small example: a doc comment is not a change, a new
/// function is an addition, a changed parameter and a new world import are changes.
#[test]
fn the_comparison_tells_additions_from_changes() {
    let base = "package sesame:auth@1.0.0;\n/// Doc.\ninterface a {\n  record r { x: u8, }\n  \
                f: func(x: u8) -> u8;\n}\nworld w {\n  import a;\n  export a;\n}\n";
    let documented = base.replace("/// Doc.", "/// Other words.\n// and a comment");
    assert_eq!(declarations(base), declarations(&documented));
    assert_eq!(package_version(base), (1, 0, 0));

    let old = items(base);
    let added = items(&base.replace("f: func", "g: func() -> u8;\n  f: func"));
    assert_eq!(added["interface a"]["func f"], old["interface a"]["func f"]);
    assert!(added["interface a"].contains_key("func g"));

    let changed = items(&base.replace("f: func(x: u8)", "f: func(x: u16)"));
    assert_ne!(
        changed["interface a"]["func f"],
        old["interface a"]["func f"]
    );
    let record_changed = items(&base.replace("x: u8, }", "x: u8, y: u8, }"));
    assert_ne!(
        record_changed["interface a"]["record r"],
        old["interface a"]["record r"]
    );
    let imported = items(&base.replace("import a;", "import a;\n  import b;"));
    assert!(imported["world w"].contains_key("import b"));
    assert!(!old["world w"].contains_key("import b"));
}

/// The packages that speak the WIT name its version, and their own versions share its major
/// and minor (a patch of a package may fix the package alone); the changelog has its entry.
#[test]
fn the_packages_and_the_changelog_follow_the_wit_version() {
    let root = repo_root();
    let version = show(package_version(&current_wit()));
    let quoted = |file: &str, prefix: &str| {
        let text = fs::read_to_string(root.join(file)).unwrap();
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(prefix))
            .unwrap_or_else(|| panic!("{file} has no `{prefix}` line"));
        line.split(['"', '\''])
            .nth(1)
            .unwrap_or_else(|| panic!("{file}: no quoted value in {line}"))
            .to_string()
    };
    assert_eq!(
        quoted("embed/python/sesame/client.py", "WIT_VERSION ="),
        version
    );
    assert_eq!(
        quoted("embed/js/sesame.js", "export const WIT_VERSION ="),
        version
    );
    assert_eq!(
        quoted("embed/go/sesame.go", "const WITPackage ="),
        format!("sesame:auth@{version}")
    );

    let (major, minor, _) = parse_version(&version);
    let same_line = |package: &str| {
        let (m, n, _) = parse_version(package);
        (m, n) == (major, minor)
    };
    let python = quoted("embed/python/pyproject.toml", "version =");
    assert!(
        same_line(&python),
        "embed/python is {python}, the WIT {version}"
    );
    let package: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(root.join("embed/js/package.json")).unwrap())
            .unwrap();
    let node = package["version"].as_str().unwrap().to_string();
    assert!(same_line(&node), "embed/js is {node}, the WIT {version}");

    let changelog = fs::read_to_string(root.join("embed/CHANGELOG.md")).unwrap();
    assert!(
        changelog
            .lines()
            .any(|l| l.starts_with(&format!("## {version}"))),
        "embed/CHANGELOG.md has no `## {version}` entry"
    );
}

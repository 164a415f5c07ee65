//! `sesame serve --templates DIR`: a deployment's replacements of page templates, read from a
//! directory at start and handed to the component as `SESAME_TEMPLATES`. The component itself
//! gets no filesystem; it checks every name and source before serving.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};

/// The setting the templates reach the component in.
pub(crate) const VARIABLE: &str = "SESAME_TEMPLATES";

/// The `*.html` files of `dir` as the JSON object `SESAME_TEMPLATES` holds. Other files are
/// ignored; a file that is not a template Sesame renders is refused (a misspelt name would
/// otherwise be ignored in silence).
pub(crate) fn read(dir: &Path) -> Result<String> {
    let known: Vec<&str> = sesame_core::branding::template_names().collect();
    let mut templates = BTreeMap::new();
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read templates from {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !name.ends_with(".html") {
            continue;
        }
        if !known.contains(&name) {
            bail!(
                "{}: {name} is not one of Sesame's page templates ({})",
                dir.display(),
                known.join(", ")
            );
        }
        let source = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        templates.insert(name.to_owned(), source);
    }
    if templates.is_empty() {
        bail!("{} holds none of Sesame's page templates", dir.display());
    }
    Ok(serde_json::to_string(&templates)?)
}

/// `sesame templates`: the names, one a line; with `export`, every template written into
/// that directory, keeping files already there (an operator's edits are never overwritten).
pub(crate) fn list_or_export(export: Option<&Path>) -> Result<()> {
    let Some(dir) = export else {
        for name in sesame_core::branding::template_names() {
            println!("{name}");
        }
        return Ok(());
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (name, source) in sesame_core::branding::default_templates() {
        let path = dir.join(name);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                use std::io::Write as _;
                file.write_all(source.as_bytes())
                    .with_context(|| format!("cannot write {}", path.display()))?;
                println!("wrote {}", path.display());
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                println!("kept {}", path.display());
            }
            Err(e) => return Err(e).with_context(|| format!("cannot write {}", path.display())),
        }
    }
    Ok(())
}

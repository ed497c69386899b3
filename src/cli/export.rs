//! `symdex export`: the index as a ctags-compatible `tags` file or as JSON lines, for the tools
//! that read those (editors without LSP, code search ingesters).

use std::io::Write;
use std::path::Path;

use crate::index::Index;
use crate::symbol::Role;

/// Output formats.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Format {
    /// Extended ctags format (sorted, `line:` and scope fields), as `ctags -R` writes it.
    Ctags,
    /// One JSON object per definition.
    Json,
}

/// Writes every definition in `index` (paths relative to `root`).
pub fn write(index: &Index, root: &Path, format: Format, out: &mut impl Write) -> std::io::Result<()> {
    let mut rows: Vec<(&'static str, String, u32, &'static str, Option<&'static str>)> = Vec::new();
    for file in index.files() {
        let path = file.path.strip_prefix(root).unwrap_or(&file.path).to_string_lossy().into_owned();
        for (i, s) in file.symbols.iter().enumerate() {
            if s.role != Role::Definition {
                continue;
            }
            rows.push((
                s.name.as_str(),
                path.clone(),
                s.name_range.start.line + 1,
                s.kind.label(),
                file.symbols.container_name(i),
            ));
        }
    }
    rows.sort_unstable();
    match format {
        Format::Ctags => {
            writeln!(out, "!_TAG_FILE_FORMAT\t2\t/extended format; --format=1 will not append ;\" to lines/")?;
            writeln!(out, "!_TAG_FILE_SORTED\t1\t/0=unsorted, 1=sorted, 2=foldcase/")?;
            writeln!(out, "!_TAG_PROGRAM_NAME\tsymdex\t//")?;
            writeln!(out, "!_TAG_PROGRAM_VERSION\t{}\t//", env!("CARGO_PKG_VERSION"))?;
            for (name, path, line, kind, container) in rows {
                write!(out, "{name}\t{path}\t{line};\"\t{kind}\tline:{line}")?;
                match container {
                    Some(c) => writeln!(out, "\tscope:{c}")?,
                    None => writeln!(out)?,
                }
            }
        }
        Format::Json => {
            for (name, path, line, kind, container) in rows {
                let row =
                    serde_json::json!({"name": name, "path": path, "line": line, "kind": kind, "scope": container});
                writeln!(out, "{row}")?;
            }
        }
    }
    Ok(())
}

//! The workspace's architecture, checked (ARCHITECTURE.md): the crates depend on each other
//! as drawn there, and no module of any crate reaches itself again through the modules it
//! imports (a module cycle), so that every file can be read knowing only what it imports.
//!
//! Modules are files (`a.rs`, `a/mod.rs`); a module's imports are the `crate::`, `super::`
//! and `self::` paths in its non-test code, resolved through `pub use` re-exports to the
//! file that defines the item. A module's use of its ancestors (the parent it lives in) and
//! of its descendants (the children it is made of) is part of being one module and is not
//! an edge; everything else is.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use regex::Regex;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Which workspace crates each crate may depend on, as ARCHITECTURE.md's crate table says:
/// rows `| \`causet-x\` | role | deps |` whose last cell is `none`, `all`, or short names
/// (`clock, log` for `causet-clock` and `causet-log`).
fn drawn_layers() -> BTreeMap<String, BTreeSet<String>> {
    let text =
        std::fs::read_to_string(workspace().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let rows: Vec<(String, String)> = text
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line
                .trim()
                .trim_matches('|')
                .split('|')
                .map(str::trim)
                .collect();
            let name = cells.first()?.strip_prefix('`')?.strip_suffix('`')?;
            (name.starts_with("causet") && cells.len() == 3)
                .then(|| (name.to_string(), cells[2].to_string()))
        })
        .collect();
    let all: BTreeSet<String> = rows.iter().map(|(name, _)| name.clone()).collect();
    rows.iter()
        .map(|(name, deps)| {
            let allowed = match deps.as_str() {
                "none" => BTreeSet::new(),
                "all" => all.iter().filter(|other| *other != name).cloned().collect(),
                list => list
                    .split(',')
                    .map(|short| format!("causet-{}", short.trim()))
                    .collect(),
            };
            (name.clone(), allowed)
        })
        .collect()
}

fn crate_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(workspace().join("crates"))
        .expect("crates/")
        .map(|entry| entry.expect("crates/ entry").path())
        .filter(|path| path.join("Cargo.toml").is_file())
        .collect();
    dirs.sort();
    dirs
}

/// The `causet-*` crates named in one `[section]` of a manifest.
fn workspace_deps(manifest: &str, section: &str) -> BTreeSet<String> {
    let mut deps = BTreeSet::new();
    let mut inside = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line == section;
        } else if inside
            && let Some(name) = line.split(['=', '.', ' ']).next()
            && name.starts_with("causet")
        {
            deps.insert(name.to_string());
        }
    }
    deps
}

#[test]
fn crates_depend_on_each_other_as_architecture_md_draws() {
    let dirs = crate_dirs();
    let names: BTreeSet<String> = dirs
        .iter()
        .map(|dir| dir.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let layers = drawn_layers();
    let expected: BTreeSet<String> = layers.keys().cloned().collect();
    assert_eq!(
        names, expected,
        "the crates in crates/ and in ARCHITECTURE.md's crate table differ"
    );
    assert!(
        layers["causet-clock"].is_empty() && layers["causet-log"].len() == 1,
        "the table was misread: {layers:?}"
    );
    for (name, allowed) in &layers {
        let manifest =
            std::fs::read_to_string(workspace().join("crates").join(name).join("Cargo.toml"))
                .expect("manifest");
        let deps = workspace_deps(&manifest, "[dependencies]");
        assert_eq!(
            &deps, allowed,
            "{name}'s workspace dependencies (Cargo.toml) and ARCHITECTURE.md differ"
        );
    }
}

/// One module: its path below the crate root and its code without comments and tests.
#[derive(Debug)]
struct Module {
    path: Vec<String>,
    file: PathBuf,
    code: String,
}

fn modules(src: &Path) -> Vec<Module> {
    let mut files = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("source dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut modules: Vec<Module> = files
        .into_iter()
        .map(|file| {
            let relative = file.strip_prefix(src).unwrap().with_extension("");
            let mut path: Vec<String> = relative
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect();
            if path.len() == 1 && (path[0] == "lib" || path[0] == "main") {
                path.clear();
            } else if path.last().is_some_and(|last| last == "mod") {
                path.pop();
            }
            let text = std::fs::read_to_string(&file).expect("source");
            Module {
                path,
                file,
                code: without_tests(&without_comments(&text)),
            }
        })
        .collect();
    // A module declared under `#[cfg(test)]` (`mod tests;`) is test code as a whole.
    let test_only: BTreeSet<Vec<String>> = modules
        .iter()
        .flat_map(|module| {
            let re =
                Regex::new(r"#\[cfg\(test\)\]\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;").unwrap();
            re.captures_iter(&std::fs::read_to_string(&module.file).unwrap())
                .map(|caps| {
                    let mut path = module.path.clone();
                    path.push(caps[1].to_string());
                    path
                })
                .collect::<Vec<_>>()
        })
        .collect();
    modules.retain(|module| !test_only.iter().any(|test| module.path.starts_with(test)));
    modules
}

/// The text without `//` comments (doc comments included) and string literals' contents.
fn without_comments(text: &str) -> String {
    let strings = Regex::new(r#""(?:[^"\\]|\\.)*""#).unwrap();
    text.lines()
        .map(|line| {
            let line = strings.replace_all(line, "\"\"");
            match line.find("//") {
                Some(at) => line[..at].to_string(),
                None => line.into_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The code without `#[cfg(test)]` items that have a body (`mod tests { ... }`).
fn without_tests(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let (Some(open), semi) = (after.find('{'), after.find(';')) else {
            rest = &after["#[cfg(test)]".len()..];
            continue;
        };
        if semi.is_some_and(|semi| semi < open) {
            rest = &after[semi.unwrap() + 1..];
            continue;
        }
        let mut depth = 0usize;
        let mut end = after.len();
        for (i, byte) in after.bytes().enumerate().skip(open) {
            match byte {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Expands one `use` tree (`a::{b, c::{d, e as f}}`) into its paths (`a::b`, `a::c::d`, ...).
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else {
        return vec![tree];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.len().saturating_sub(1)];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|part| !part.is_empty())
        .flat_map(|part| {
            expand(part)
                .into_iter()
                .map(|path| {
                    if path == "self" {
                        prefix.trim_end_matches("::").to_string()
                    } else {
                        format!("{prefix}{path}")
                    }
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

struct Crate {
    modules: BTreeMap<Vec<String>, Module>,
    /// Per module: re-exported name → the path it names (as written).
    reexports: BTreeMap<Vec<String>, BTreeMap<String, String>>,
}

fn use_trees(code: &str) -> Vec<(bool, String)> {
    let re = Regex::new(r"(?s)\b(pub(?:\([^)]*\))?\s+)?use\s+([^;]+);").unwrap();
    re.captures_iter(code)
        .map(|caps| (caps.get(1).is_some(), caps[2].to_string()))
        .collect()
}

fn paths_of(tree: &str) -> Vec<String> {
    // Aliases (`x as y`) go first: the path is what the module imports.
    let alias = Regex::new(r"\s+as\s+\w+").unwrap();
    expand(&alias.replace_all(tree, ""))
}

impl Crate {
    fn load(src: &Path) -> Self {
        let modules: BTreeMap<Vec<String>, Module> = modules(src)
            .into_iter()
            .map(|module| (module.path.clone(), module))
            .collect();
        let mut reexports = BTreeMap::new();
        for (path, module) in &modules {
            let mut names = BTreeMap::new();
            for (public, tree) in use_trees(&module.code) {
                if !public {
                    continue;
                }
                for full in paths_of(&tree) {
                    if let Some(name) = full.rsplit("::").next() {
                        names.insert(name.to_string(), full.clone());
                    }
                }
            }
            reexports.insert(path.clone(), names);
        }
        Self { modules, reexports }
    }

    /// The module a path used in module `from` lands in, or `None` outside the crate.
    fn resolve(&self, from: &[String], path: &str, depth: usize) -> Option<Vec<String>> {
        let mut segments = path.split("::").filter(|s| !s.is_empty()).peekable();
        let mut base: Vec<String> = match *segments.peek()? {
            "crate" => {
                segments.next();
                Vec::new()
            }
            "self" => {
                segments.next();
                from.to_vec()
            }
            "super" => {
                let mut base = from.to_vec();
                while segments.peek() == Some(&"super") {
                    segments.next();
                    base.pop();
                }
                base
            }
            first
                if self
                    .modules
                    .contains_key(&[from, &[first.to_string()]].concat()) =>
            {
                from.to_vec()
            }
            _ => return None,
        };
        for segment in segments {
            let child = [base.as_slice(), &[segment.to_string()]].concat();
            if self.modules.contains_key(&child) {
                base = child;
                continue;
            }
            if depth < 8
                && let Some(target) = self
                    .reexports
                    .get(&base)
                    .and_then(|names| names.get(segment))
            {
                return self.resolve(&base, target, depth + 1);
            }
            break;
        }
        Some(base)
    }

    /// Module → the modules it imports (ancestors and descendants left out).
    fn edges(&self) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
        let inline = Regex::new(r"\b(?:crate|super|self)(?:::\w+)+").unwrap();
        let mut edges = BTreeMap::new();
        for (path, module) in &self.modules {
            let mut targets = BTreeSet::new();
            let mut used: Vec<String> = use_trees(&module.code)
                .into_iter()
                .flat_map(|(_, tree)| paths_of(&tree))
                .collect();
            used.extend(
                inline
                    .find_iter(&module.code)
                    .map(|m| m.as_str().to_string()),
            );
            for used in used {
                if let Some(target) = self.resolve(path, &used, 0)
                    && !target.starts_with(path)
                    && !path.starts_with(&target)
                {
                    targets.insert(target);
                }
            }
            edges.insert(path.clone(), targets);
        }
        edges
    }
}

/// The strongly connected components with more than one module (Tarjan).
fn cycles(edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<Vec<String>>> {
    struct State<'a> {
        edges: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        on_stack: BTreeSet<&'a Vec<String>>,
        found: Vec<Vec<Vec<String>>>,
    }
    fn visit<'a>(state: &mut State<'a>, node: &'a Vec<String>) {
        let n = state.index.len();
        state.index.insert(node, n);
        state.low.insert(node, n);
        state.stack.push(node);
        state.on_stack.insert(node);
        for next in state.edges.get(node).into_iter().flatten() {
            let Some((next, _)) = state.edges.get_key_value(next) else {
                continue;
            };
            if !state.index.contains_key(next) {
                visit(state, next);
                let low = state.low[node].min(state.low[next]);
                state.low.insert(node, low);
            } else if state.on_stack.contains(next) {
                let low = state.low[node].min(state.index[next]);
                state.low.insert(node, low);
            }
        }
        if state.low[node] == state.index[node] {
            let mut component = Vec::new();
            while let Some(top) = state.stack.pop() {
                state.on_stack.remove(top);
                component.push(top.clone());
                if top == node {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                state.found.push(component);
            }
        }
    }
    let mut state = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in edges.keys() {
        if !state.index.contains_key(node) {
            visit(&mut state, node);
        }
    }
    state.found
}

fn name(path: &[String]) -> String {
    if path.is_empty() {
        "crate".into()
    } else {
        path.join("::")
    }
}

#[test]
fn no_crate_has_a_module_cycle() {
    let mut problems = Vec::new();
    for dir in crate_dirs() {
        let krate = Crate::load(&dir.join("src"));
        let edges = krate.edges();
        for component in cycles(&edges) {
            let inside: BTreeSet<&Vec<String>> = component.iter().collect();
            let links: Vec<String> = component
                .iter()
                .flat_map(|from| {
                    edges[from]
                        .iter()
                        .filter(|to| inside.contains(to))
                        .map(move |to| format!("{} → {}", name(from), name(to)))
                })
                .collect();
            problems.push(format!(
                "{}: modules {} import each other in a loop ({})",
                dir.file_name().unwrap().to_string_lossy(),
                component
                    .iter()
                    .map(|path| name(path))
                    .collect::<Vec<_>>()
                    .join(", "),
                links.join("; ")
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "module cycles:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_cycle_finder_finds_a_planted_loop_and_resolves_reexports() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir(src.join("a")).unwrap();
    std::fs::write(
        src.join("lib.rs"),
        "mod a;\nmod b;\nmod c;\npub use c::Thing;\n",
    )
    .unwrap();
    std::fs::write(
        src.join("a/mod.rs"),
        "mod inner;\nuse super::b::f; // use crate::c::X\n",
    )
    .unwrap();
    std::fs::write(src.join("a/inner.rs"), "use super::Helper;\n").unwrap();
    std::fs::write(
        src.join("b.rs"),
        "use crate::{Thing, a::{self}};\n#[cfg(test)]\nmod tests { use crate::c::Y; }\n",
    )
    .unwrap();
    std::fs::write(
        src.join("c.rs"),
        "pub struct Thing;\nfn g() { crate::b::f(); }\n",
    )
    .unwrap();
    let krate = Crate::load(src);
    let edges = krate.edges();
    let path = |s: &str| s.split("::").map(String::from).collect::<Vec<_>>();
    // b uses Thing through the root's re-export: an edge to c, where it is defined.
    assert_eq!(edges[&path("b")], BTreeSet::from([path("a"), path("c")]));
    // a's child using its parent is no edge; the comment in a is no edge.
    assert!(edges[&path("a::inner")].is_empty());
    assert_eq!(edges[&path("a")], BTreeSet::from([path("b")]));
    let found = cycles(&edges);
    assert_eq!(found, vec![vec![path("a"), path("b"), path("c")]]);
}

//! No import cycle between the modules of any crate: the layout shows the flow (record →
//! registry → evaluation → snapshot → exposition, pages and sinks) only while every module
//! depends on its siblings one way.
//!
//! Each crate's source is parsed with `syn`. Every path a module names (`use` trees and paths
//! in code) is resolved to the module that defines it, following `pub use` re-exports, and
//! lifted to the level where the two modules are siblings: `engine` naming
//! `registry::Registry` is an arrow `engine → registry` under the crate root, `persist/format`
//! naming `persist::incidents::decode` an arrow `format → incidents` under `persist`. Test
//! modules are left out. Among the siblings of every module, the arrows must not close a
//! circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

const CRATES: [&str; 5] = [
    "sloguard-core",
    "sloguard",
    "sloguard-spec",
    "sloguard-cli",
    "sloguard-macros",
];

type ModPath = Vec<String>;

/// One module: the names it takes (resolved later) and what it re-exports.
#[derive(Default)]
struct Module {
    file: PathBuf,
    /// Absolute paths (segments after `crate`) the module names.
    names: BTreeSet<ModPath>,
    /// `pub use` re-exports: the name it exports under, and the absolute path it points at.
    exports: BTreeMap<String, ModPath>,
    children: BTreeSet<String>,
}

#[test]
fn no_module_imports_a_sibling_that_imports_it_back() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates");
    let mut circles = Vec::new();
    for krate in CRATES {
        let modules = read_crate(&root.join(krate).join("src"));
        assert!(modules.len() > 1 || krate == "sloguard-macros" || !modules.is_empty());
        circles.extend(circles_of(krate, &modules));
    }
    assert!(
        circles.is_empty(),
        "import circles (module → module: the names that tie them):\n{}",
        circles.join("\n")
    );
}

fn read_crate(src: &Path) -> BTreeMap<ModPath, Module> {
    let mut modules = BTreeMap::new();
    read_module(src, &src.join("lib.rs"), Vec::new(), &mut modules);
    if src.join("main.rs").exists() {
        read_module(
            src,
            &src.join("main.rs"),
            vec!["main".to_owned()],
            &mut modules,
        );
    }
    modules
}

fn read_module(src: &Path, file: &Path, path: ModPath, modules: &mut BTreeMap<ModPath, Module>) {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file:?}: {e}"));
    let ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{file:?}: {e}"));
    let mut reader = Reader {
        module: Module {
            file: file.to_owned(),
            ..Module::default()
        },
        uses: Vec::new(),
        files: Vec::new(),
    };
    reader.visit_file(&ast);
    let Reader {
        mut module,
        uses,
        files,
        ..
    } = reader;
    for (relative, public) in uses {
        let absolute = absolute(&path, &module.children, &relative);
        if let Some(absolute) = absolute {
            if public {
                if let Some(last) = absolute.last() {
                    module.exports.insert(last.clone(), absolute.clone());
                }
            }
            module.names.insert(absolute);
        }
    }
    modules.insert(path.clone(), module);
    let dir = if file.ends_with("lib.rs") || file.ends_with("main.rs") || file.ends_with("mod.rs") {
        file.parent().expect("a folder").to_owned()
    } else {
        file.with_extension("")
    };
    for child in files {
        let mut child_path = path.clone();
        child_path.push(child.clone());
        let flat = dir.join(format!("{child}.rs"));
        let nested = dir.join(&child).join("mod.rs");
        let child_file = if flat.exists() { flat } else { nested };
        assert!(child_file.starts_with(src));
        read_module(src, &child_file, child_path, modules);
    }
}

/// Collects the paths a file names, its child modules and its `pub use` items.
struct Reader {
    module: Module,
    /// Paths as written (relative), and whether they are `pub use`.
    uses: Vec<(ModPath, bool)>,
    /// Child modules in files of their own.
    files: Vec<String>,
}

fn is_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>().is_ok_and(|m| {
                let text = quote::ToTokens::to_token_stream(&m).to_string();
                text == "test" || text.starts_with("all (test") || text.contains("doctest")
            })
    })
}

fn use_paths(tree: &syn::UseTree, prefix: &mut ModPath, out: &mut Vec<ModPath>) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            use_paths(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) if n.ident == "self" => out.push(prefix.clone()),
        syn::UseTree::Name(n) => {
            let mut path = prefix.clone();
            path.push(n.ident.to_string());
            out.push(path);
        }
        syn::UseTree::Rename(r) => {
            let mut path = prefix.clone();
            path.push(r.ident.to_string());
            out.push(path);
        }
        syn::UseTree::Glob(_) => out.push(prefix.clone()),
        syn::UseTree::Group(g) => {
            for item in &g.items {
                use_paths(item, prefix, out);
            }
        }
    }
}

impl<'ast> Visit<'ast> for Reader {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if is_test(&m.attrs) {
            return;
        }
        let name = m.ident.to_string();
        self.module.children.insert(name.clone());
        match &m.content {
            None => self.files.push(name),
            // An inline module counts as part of its file's module.
            Some(_) => syn::visit::visit_item_mod(self, m),
        }
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if !is_test(&f.attrs) {
            syn::visit::visit_item_fn(self, f);
        }
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        if !is_test(&i.attrs) {
            syn::visit::visit_item_impl(self, i);
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        if is_test(&u.attrs) {
            return;
        }
        let public = matches!(u.vis, syn::Visibility::Public(_));
        let mut paths = Vec::new();
        use_paths(&u.tree, &mut Vec::new(), &mut paths);
        self.uses.extend(paths.into_iter().map(|p| (p, public)));
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segments: ModPath = p.segments.iter().map(|s| s.ident.to_string()).collect();
        if segments.len() > 1 {
            self.uses.push((segments, false));
        }
        syn::visit::visit_path(self, p);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        // Macro bodies (`format!`, `json!`) are tokens: read every `a::b::c` run in them.
        let mut paths = Vec::new();
        token_paths(m.tokens.clone(), &mut paths);
        self.uses.extend(paths.into_iter().map(|p| (p, false)));
    }
}

/// The `a::b` runs of a token stream, inside groups too.
fn token_paths(tokens: proc_macro2::TokenStream, out: &mut Vec<ModPath>) {
    let mut run: ModPath = Vec::new();
    let mut colons = 0;
    for token in tokens {
        match token {
            proc_macro2::TokenTree::Ident(ident) if run.is_empty() || colons == 2 => {
                run.push(ident.to_string());
                colons = 0;
            }
            proc_macro2::TokenTree::Punct(p) if p.as_char() == ':' && !run.is_empty() => {
                colons += 1;
            }
            other => {
                if run.len() > 1 {
                    out.push(std::mem::take(&mut run));
                }
                run.clear();
                colons = 0;
                match other {
                    proc_macro2::TokenTree::Group(g) => token_paths(g.stream(), out),
                    proc_macro2::TokenTree::Ident(ident) => run.push(ident.to_string()),
                    _ => {}
                }
            }
        }
    }
    if run.len() > 1 {
        out.push(run);
    }
}

/// A path as written in module `at`, made absolute, `None` for paths into other crates.
fn absolute(at: &ModPath, children: &BTreeSet<String>, written: &ModPath) -> Option<ModPath> {
    let first = written.first()?;
    let mut base = match first.as_str() {
        "crate" => Vec::new(),
        "self" => at.clone(),
        "super" => {
            let mut base = at.clone();
            let mut rest = written.iter().peekable();
            while rest.peek().is_some_and(|s| *s == "super") {
                base.pop();
                rest.next();
            }
            base.extend(rest.cloned());
            return Some(base);
        }
        child if children.contains(child) => {
            let mut base = at.clone();
            base.push(child.to_owned());
            base.extend(written[1..].iter().cloned());
            return Some(base);
        }
        _ => return None,
    };
    base.extend(written[1..].iter().cloned());
    Some(base)
}

/// The module a path names: its longest prefix that is a module, through re-exports.
fn defining_module(modules: &BTreeMap<ModPath, Module>, path: &ModPath, depth: u8) -> ModPath {
    let mut module = Vec::new();
    for (i, segment) in path.iter().enumerate() {
        let mut next = module.clone();
        next.push(segment.clone());
        if modules.contains_key(&next) {
            module = next;
            continue;
        }
        let export = modules.get(&module).and_then(|m| m.exports.get(segment));
        if let (Some(target), true) = (export, depth < 8) {
            let mut through = target.clone();
            through.extend(path[i + 1..].iter().cloned());
            if &through != path {
                return defining_module(modules, &through, depth + 1);
            }
        }
        break;
    }
    module
}

fn circles_of(krate: &str, modules: &BTreeMap<ModPath, Module>) -> Vec<String> {
    // Arrows between siblings, under their parent, with the names behind each.
    let mut arrows: BTreeMap<ModPath, BTreeMap<(String, String), BTreeSet<String>>> =
        BTreeMap::new();
    for (from, module) in modules {
        for name in &module.names {
            let to = defining_module(modules, name, 0);
            let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
            if common < from.len() && common < to.len() {
                arrows
                    .entry(from[..common].to_vec())
                    .or_default()
                    .entry((from[common].clone(), to[common].clone()))
                    .or_default()
                    .insert(name.join("::"));
            }
        }
    }
    let mut circles = Vec::new();
    for (parent, edges) in &arrows {
        for component in strongly_connected(edges) {
            let ties: Vec<String> = edges
                .iter()
                .filter(|((a, b), _)| component.contains(a) && component.contains(b))
                .map(|((a, b), names)| {
                    let file = modules
                        .get(&[parent.clone(), vec![a.clone()]].concat())
                        .map(|m| m.file.display().to_string())
                        .unwrap_or_default();
                    let names: Vec<&str> = names.iter().map(String::as_str).take(4).collect();
                    format!("    {a} → {b}: {} ({file})", names.join(", "))
                })
                .collect();
            circles.push(format!(
                "  {krate}::{}: {}\n{}",
                parent.join("::"),
                component.iter().cloned().collect::<Vec<_>>().join(", "),
                ties.join("\n")
            ));
        }
    }
    circles
}

/// The groups of two or more modules that reach each other, by reachability from each
/// module (the graphs are a few dozen modules).
fn strongly_connected(
    edges: &BTreeMap<(String, String), BTreeSet<String>>,
) -> Vec<BTreeSet<String>> {
    let nodes: BTreeSet<&String> = edges.keys().flat_map(|(a, b)| [a, b]).collect();
    let reach = |from: &String| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(n) = stack.pop() {
            for (a, b) in edges.keys() {
                if *a == n && seen.insert(b.clone()) {
                    stack.push(b.clone());
                }
            }
        }
        seen
    };
    let reached: BTreeMap<&String, BTreeSet<String>> =
        nodes.iter().map(|n| (*n, reach(n))).collect();
    let mut groups: Vec<BTreeSet<String>> = Vec::new();
    for n in &nodes {
        if groups.iter().any(|g| g.contains(*n)) {
            continue;
        }
        let group: BTreeSet<String> = nodes
            .iter()
            .filter(|m| reached[*n].contains(**m) && reached[**m].contains(*n))
            .map(|m| (*m).clone())
            .collect();
        if group.len() > 1 {
            groups.push(group);
        }
    }
    groups
}

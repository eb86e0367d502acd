//! The pages' static rules (web/README.md): every text in both languages, every key used
//! exists, no text hard-wired in the HTML, no inline scripts (the CSP forbids them).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn web() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web")
}

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            if name != "pkg" && name != "node_modules" && name != "tests" {
                files(&path, ext, out);
            }
        } else if name.ends_with(ext) {
            out.push(path);
        }
    }
}

fn flatten(prefix: &str, value: &serde_json::Value, out: &mut BTreeMap<String, String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        serde_json::Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
        }
        other => panic!("{prefix}: translations are strings, not {other}"),
    }
}

/// `lang` → every `namespace.key` → text.
fn translations(lang: &str) -> BTreeMap<String, String> {
    let dir = web().join("assets/i18n").join(lang);
    let mut out = BTreeMap::new();
    for path in fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()) {
        let ns = path.file_stem().unwrap().to_string_lossy().to_string();
        let text = fs::read_to_string(&path).unwrap();
        let value: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        flatten(&ns, &value, &mut out);
    }
    out
}

fn placeholders(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        let name = &rest[start + 1..start + end];
        if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            out.insert(name.to_string());
        }
        rest = &rest[start + end + 1..];
    }
    out
}

#[test]
fn swedish_and_english_have_the_same_texts() {
    let en = translations("en");
    let sv = translations("sv");
    let only_en: Vec<_> = en.keys().filter(|k| !sv.contains_key(*k)).collect();
    let only_sv: Vec<_> = sv.keys().filter(|k| !en.contains_key(*k)).collect();
    assert!(only_en.is_empty(), "missing in Swedish: {only_en:?}");
    assert!(only_sv.is_empty(), "missing in English: {only_sv:?}");
    for (key, text) in &en {
        assert!(!text.trim().is_empty(), "en {key} is empty");
        assert!(!sv[key].trim().is_empty(), "sv {key} is empty");
        assert_eq!(
            placeholders(text),
            placeholders(&sv[key]),
            "{key}: the two languages use different placeholders"
        );
    }
    assert!(en.len() > 100, "only {} texts", en.len());
}

/// Keys named literally in the pages: `data-i18n="k"`, `data-i18n-attr="a:k"`, `t("k"`.
fn used_keys() -> BTreeMap<String, PathBuf> {
    let mut paths = Vec::new();
    files(&web(), ".html", &mut paths);
    files(&web().join("assets/js"), ".js", &mut paths);
    let mut keys = BTreeMap::new();
    for path in paths {
        let text = fs::read_to_string(&path).unwrap();
        let mut add = |key: &str| {
            if !key.is_empty() && !key.contains("${") && key.contains('.') && !key.ends_with('.') {
                keys.insert(key.to_string(), path.clone());
            }
        };
        for part in text.split("data-i18n=\"").skip(1) {
            add(part.split('"').next().unwrap_or(""));
        }
        for part in text.split("data-i18n-attr=\"").skip(1) {
            for pair in part.split('"').next().unwrap_or("").split(';') {
                add(pair.split(':').nth(1).unwrap_or("").trim());
            }
        }
        for quote in ['"', '\'', '`'] {
            let call = format!("t({quote}");
            let mut parts = text.split(&call);
            let mut before = parts.next().unwrap_or("");
            for part in parts {
                // `t(` only as a call of its own: not the end of `import(` or `split(`.
                let standalone = !before
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$');
                if standalone {
                    add(part.split(quote).next().unwrap_or(""));
                }
                before = part;
            }
        }
    }
    keys
}

#[test]
fn every_key_the_pages_use_exists() {
    let en = translations("en");
    let used = used_keys();
    assert!(
        used.len() > 20,
        "only {} keys found in the pages",
        used.len()
    );
    let missing: Vec<_> = used
        .iter()
        .filter(|(k, _)| !en.contains_key(*k))
        .map(|(k, p)| format!("{k} ({})", p.display()))
        .collect();
    assert!(missing.is_empty(), "keys without a text: {missing:#?}");
}

/// The text nodes of an HTML file outside script and style, minus the (empty) elements that
/// `data-i18n` fills.
fn loose_text(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(close) = rest.find('>') {
        rest = &rest[close + 1..];
        let end = rest.find('<').unwrap_or(rest.len());
        let text = rest[..end].trim();
        if !text.is_empty() && !text.starts_with("<!--") {
            out.push(text.to_string());
        }
        rest = &rest[end..];
    }
    out
}

#[test]
fn no_page_carries_untranslated_text_or_inline_script() {
    let mut pages = Vec::new();
    files(&web(), ".html", &mut pages);
    assert!(pages.len() >= 6, "{pages:?}");
    for page in pages {
        let html = fs::read_to_string(&page).unwrap();
        let text = loose_text(&html);
        assert!(
            text.is_empty(),
            "{} has text outside the translation files: {text:?}",
            page.display()
        );
        let lower = html.to_lowercase();
        for part in lower.split("<script").skip(1) {
            let tag = part.split('>').next().unwrap_or("");
            assert!(
                tag.contains("src="),
                "{}: inline <script> (the CSP forbids it)",
                page.display()
            );
        }
        for handler in [
            " onclick=",
            " onload=",
            " onsubmit=",
            " onchange=",
            " oninput=",
        ] {
            assert!(
                !lower.contains(handler),
                "{}: inline event handler {handler}",
                page.display()
            );
        }
        assert!(lower.contains("<html lang="), "{}: no lang", page.display());
        assert!(
            lower.contains("name=\"viewport\""),
            "{}: no viewport (phones)",
            page.display()
        );
    }
}

#[test]
fn the_footer_names_this_version() {
    let page = fs::read_to_string(web().join("assets/js/page.js")).unwrap();
    assert!(
        page.contains(&format!(
            "const VERSION = \"{}\";",
            env!("CARGO_PKG_VERSION")
        )),
        "web/assets/js/page.js VERSION differs from the crate version"
    );
}

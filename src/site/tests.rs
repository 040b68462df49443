use std::path::PathBuf;

use super::{Statuses, build};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The whole suite builds: a page per spec file, every case anchored by
/// its id on its page, relative links only, the search index holding every
/// case, the committed matrix's statuses on the pages.
#[test]
fn the_suite_builds_into_a_self_contained_site() {
    let out = std::env::temp_dir().join(format!("nc-site-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let statuses = Statuses::read(&root().join("docs/matrix.json")).unwrap();
    let summary = build(&root().join("spec"), &out, &statuses).unwrap();
    assert!(summary.cases > 500, "{summary:?}");
    let cases = crate::spec::load_suite(&root().join("spec"), Default::default()).unwrap();
    for lc in &cases {
        let rel = lc.case.file.split("spec/").last().unwrap();
        let page = std::fs::read_to_string(out.join(super::page::page_path(rel))).unwrap();
        assert!(
            page.contains(&format!("id=\"{}\"", lc.case.id)),
            "{} has no anchor on its page",
            lc.case.id
        );
    }
    let page = std::fs::read_to_string(out.join("tls/handshake.html")).unwrap();
    assert!(page.contains("<svg class=\"diagram\""));
    assert!(page.contains("class=\"st-passed\""));
    assert!(page.contains("<a href=\"../index.html\">"));
    for entry in std::fs::read_dir(out.join("net")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!text.contains("href=\"/"), "an absolute link");
        assert!(!text.contains(".md\""), "a link to Markdown");
    }
    // The coverage page anchors every catalogue item, and every covered
    // item a case's panel links to is one of them.
    let coverage_page = std::fs::read_to_string(out.join(super::coverage::PAGE)).unwrap();
    let catalogue =
        crate::catalogue::Catalogue::load(&crate::catalogue::path_for(&root().join("spec")))
            .unwrap();
    let mut anchors = std::collections::HashSet::new();
    for item in &catalogue.items {
        let anchor = super::coverage::anchor(&item.id);
        assert!(anchors.insert(anchor.clone()), "two items share {anchor}");
        assert!(
            coverage_page.contains(&format!("<tr id=\"{anchor}\">")),
            "{} has no row",
            item.id
        );
    }
    for lc in &cases {
        for id in &lc.case.meta.covers {
            assert!(anchors.contains(&super::coverage::anchor(id)), "{id}");
        }
    }
    assert!(coverage_page.contains("<table class=\"tally\">"));
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(index.contains("href=\"coverage.html\""));
    let search = std::fs::read_to_string(out.join("search.js")).unwrap();
    assert!(search.contains("\"tls/handshake/authorized-exchange\""));
    assert!(search.contains("secureConnect"));
    let _ = std::fs::remove_dir_all(&out);
}

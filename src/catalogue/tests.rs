use super::coverage::Coverage;
use super::*;
use crate::spec::{self, LoadOptions};

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const SMALL: &str = "\
# A catalogue

## net

### Module functions
- [P0] `net.connect(options)` — connects <!-- {\"id\": \"net.connect(options)\"} -->
  - opt `port`: not an item
- [P1] `net.isIP(input)` <!-- {\"id\": \"net.isIP()\", \"uncovered\": \"no reason\"} -->
- [P2] `net.getDefaultAutoSelectFamily()` — rare <!-- {\"id\": \"net.getDefaultAutoSelectFamily()\"} -->

## https (+ tls)

### `node:tls` pieces
- [P1†] `tls.connect(options)` <!-- {\"id\": \"tls.connect(options)\", \"note\": \"n\"} -->

## API item counts in this catalogue
| module | P0 | P1 | P2 | total |
|---|---|---|---|---|
| net | 1 | 1 | 1 (a remark) | 3 |
| tls pieces | 0 | 1 | 0 | 1 |
| **all** | **1** | **2** | **1** | **4** |
";

#[test]
fn items_are_read_with_their_module_section_and_metadata() {
    let c = Catalogue::parse(SMALL, "c.md").expect("parses");
    let ids: Vec<&str> = c.items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "net.connect(options)",
            "net.isIP()",
            "net.getDefaultAutoSelectFamily()",
            "tls.connect(options)"
        ]
    );
    let first = &c.items[0];
    assert_eq!(first.name, "`net.connect(options)`");
    assert_eq!(first.description, "connects");
    assert_eq!(first.section, "Module functions");
    assert_eq!(first.line, 6);
    assert_eq!(c.items[1].uncovered.as_deref(), Some("no reason"));
    assert_eq!(c.items[3].module, "tls");
    assert_eq!(c.items[3].priority, Priority::P1Dagger);
    assert_eq!(c.items[3].note.as_deref(), Some("n"));
    assert_eq!(c.modules(), ["net", "tls"]);
}

#[test]
fn problems_name_line_and_column() {
    let broken = SMALL
        .replace(
            " <!-- {\"id\": \"net.isIP()\", \"uncovered\": \"no reason\"} -->",
            "",
        )
        .replace(
            "\"id\": \"net.getDefaultAutoSelectFamily()\"",
            "\"id\": \"net.connect(options)\"",
        )
        .replace("\"note\": \"n\"", "\"nope\": \"n\"");
    let problems = Catalogue::parse(&broken, "c.md").expect_err("broken");
    let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
    insta::assert_snapshot!(shown.join("\n"));
}

#[test]
fn an_item_lost_from_the_counts_shows() {
    let lost = SMALL.replace(
        "- [P2] `net.getDefaultAutoSelectFamily()` — rare <!-- {\"id\": \"net.getDefaultAutoSelectFamily()\"} -->\n",
        "",
    );
    let problems = Catalogue::parse(&lost, "c.md").expect_err("counts differ");
    let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
    insta::assert_snapshot!(shown.join("\n"));
}

/// The project's catalogue parses, and its items are the ones its own
/// counts table counts (366: 71 P0, 119 P1, 176 P2).
#[test]
fn the_project_catalogue_matches_its_counts() {
    let c = Catalogue::load(&root().join(PATH)).unwrap_or_else(|p| {
        panic!(
            "{}",
            p.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    assert_eq!(c.items.len(), 366);
    let count = |p: &[Priority]| c.items.iter().filter(|i| p.contains(&i.priority)).count();
    assert_eq!(count(&[Priority::P0]), 71);
    assert_eq!(count(&[Priority::P1, Priority::P1Dagger]), 119);
    assert_eq!(count(&[Priority::P2]), 176);
    assert_eq!(c.modules(), ["net", "dgram", "http", "https", "tls"]);
}

/// Every id a case covers is an item, every P0/P1 item is covered or says
/// why not, and no reason outlived the case that came to cover it.
#[test]
fn the_suite_covers_the_catalogue_without_stale_names() {
    let catalogue = Catalogue::load(&root().join(PATH)).expect("the catalogue parses");
    let spec_root = root().join("spec");
    let cases = spec::load_suite(&spec_root, LoadOptions::default()).expect("the suite loads");
    let coverage = Coverage::of(&catalogue, cases.iter().map(|c| &c.case));
    let problems: Vec<String> = coverage.problems.iter().map(ToString::to_string).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    for t in coverage.tallies() {
        assert_eq!(
            t.uncovered_required,
            coverage
                .items()
                .filter(|(i, c)| i.module == t.module && i.priority.required() && c.is_empty())
                .filter(|(i, _)| i.uncovered.is_some())
                .count(),
            "{}: every uncovered P0/P1 item says why",
            t.module
        );
    }
}

#[test]
fn stale_names_are_reported_where_they_are() {
    let c = Catalogue::parse(SMALL, "c.md").expect("parses");
    let text = "\
# T

## a case
<!-- {\"id\": \"a\", \"covers\": [\"net.conect(options)\", \"net.isIP()\", \"net.isIP()\"]} -->
See [net.isIP](https://nodejs.org/api/net.html#netisipinput).

```script
x = net.isIP(\"::1\")
```

```events
```
";
    let cases = spec::parse_file(text, "spec/t.md", "t", LoadOptions::default()).expect("loads");
    let coverage = Coverage::of(&c, cases.iter().map(|c| &c.case));
    let shown: Vec<String> = coverage.problems.iter().map(ToString::to_string).collect();
    insta::assert_snapshot!(shown.join("\n"));
}

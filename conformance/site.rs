//! The docs site in a real browser: the site built from the real suite,
//! opened from disk in headless Chromium. Skipped, with the reason, where
//! Chromium is not installed (`.ci/run` installs it).

use std::path::{Path, PathBuf};
use std::process::Command;

use libtest_mimic::{Arguments, Failed, Trial};

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            let out = Command::new("which").arg(name).output().ok()?;
            out.status
                .success()
                .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
        })
}

/// Runs headless Chromium on `url` with `args`: its stdout and stderr.
fn run(browser: &Path, url: &str, args: &[&str]) -> Result<(String, String), Failed> {
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .args(args)
        .arg(url)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", browser.display()))?;
    Ok((
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// Console errors Chromium logged for the page (its own D-Bus and GPU
/// complaints aside).
fn console_errors(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .collect()
}

fn site_in_browser(browser: &Path) -> Result<(), Failed> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = root.join("target/site-test");
    let shots = root.join("target/site-screenshots");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&shots).map_err(|e| e.to_string())?;
    let statuses = nodecompat::site::Statuses::read(&root.join("docs/matrix.json"))
        .map_err(|e| e.to_string())?;
    nodecompat::site::build(&root.join("spec"), &out, &statuses).map_err(|e| e.to_string())?;
    let url = |page: &str| format!("file://{}/{page}", out.display());

    // The index, with a search by an event name: the case is found.
    let (dom, log) = run(
        browser,
        &url("index.html?q=tlsClientError+DEPTH_ZERO_SELF_SIGNED_CERT"),
        &["--dump-dom"],
    )?;
    if !dom.contains("tls/certificates/self-signed") {
        return Err("searching an event name did not list tls/certificates/self-signed".into());
    }
    if !dom.contains("<h2>tls</h2>") || !dom.contains("<h2>net</h2>") {
        return Err("the index lists no modules".into());
    }
    let errors = console_errors(&log);
    if !errors.is_empty() {
        return Err(format!("console errors on the index: {errors:?}").into());
    }
    // A spec page: its diagrams and its matrix cells, a failing one with
    // its diff to open.
    let (dom, log) = run(browser, &url("tls/handshake.html"), &["--dump-dom"])?;
    if dom.matches("<svg class=\"diagram\"").count() < 2 {
        return Err("tls/handshake.html has no sequence diagrams".into());
    }
    if !dom.contains("<details><summary>xfail</summary><pre>") {
        return Err("no failing cell with its diff on tls/handshake.html".into());
    }
    let errors = console_errors(&log);
    if !errors.is_empty() {
        return Err(format!("console errors on a spec page: {errors:?}").into());
    }
    for (page, file) in [
        ("index.html?q=keylog", "index.png"),
        (
            "tls/handshake.html#tls/handshake/authorized-exchange",
            "case.png",
        ),
    ] {
        let shot = shots.join(file);
        let _ = std::fs::remove_file(&shot);
        let arg = format!("--screenshot={}", shot.display());
        run(browser, &url(page), &[&arg, "--window-size=1200,1600"])?;
        if !shot.exists() {
            return Err(format!("no screenshot of {page}").into());
        }
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let trial = match chromium() {
        Some(browser) => Trial::test("site/in-chromium", move || site_in_browser(&browser)),
        None => Trial::test("site/in-chromium", || Ok(()))
            .with_ignored_flag(true)
            .with_kind("skipped: chromium is not installed (apt-get install chromium)"),
    };
    libtest_mimic::run(&args, vec![trial]).exit();
}

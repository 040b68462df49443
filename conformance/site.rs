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
/// A browser that crashes (a signal, no exit status) is run once more: a
/// crash is the browser's, not the site's; a second one fails the test. A
/// run that takes over a minute is killed and fails it.
fn run(browser: &Path, url: &str, args: &[&str]) -> Result<(String, String), Failed> {
    match run_once(browser, url, args)? {
        Some(out) => Ok(out),
        None => run_once(browser, url, args)?
            .ok_or_else(|| format!("{} crashed twice on {url}", browser.display()).into()),
    }
}

/// One run; `None` if the browser died of a signal.
fn run_once(browser: &Path, url: &str, args: &[&str]) -> Result<Option<(String, String)>, Failed> {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    let profile = std::env::temp_dir().join(format!("nc-chromium-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&profile);
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            // This machine's network is closed: no background connections.
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", browser.display()))?;
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stdout.read_to_end(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stderr.read_to_end(&mut s);
        s
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_dir_all(&profile);
            return Err(format!("{} took over 60 s on {url}", browser.display()).into());
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let text = |h: std::thread::JoinHandle<Vec<u8>>| {
        String::from_utf8_lossy(&h.join().unwrap_or_default()).into_owned()
    };
    let (out, err) = (text(out), text(err));
    let _ = std::fs::remove_dir_all(&profile);
    if status.signal().is_some() {
        eprintln!(
            "{} died of signal {:?} on {url}; running it again",
            browser.display(),
            status.signal()
        );
        return Ok(None);
    }
    Ok(Some((out, err)))
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
    // A click on a failing cell's summary shows its diff: a page of the
    // test's own (not the site's) loads the spec page in a frame, clicks,
    // and writes down what the diff's visibility was before and after.
    std::fs::write(out.join("click-test.html"), CLICK_TEST).map_err(|e| e.to_string())?;
    let (dom, _) = run(
        browser,
        &url("click-test.html"),
        &["--dump-dom", "--allow-file-access-from-files"],
    )?;
    let result = dom
        .split("data-result=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .ok_or("the click test wrote no result")?
        .replace("&quot;", "\"");
    if !result.starts_with("{\"before\":false,\"open\":true,\"after\":true,") {
        return Err(format!("clicking a failing cell did not open its diff: {result}").into());
    }
    // The coverage page: the numbers, and every module's items.
    let (dom, log) = run(browser, &url("coverage.html"), &["--dump-dom"])?;
    if !dom.contains("<table class=\"tally\">") || !dom.contains("id=\"module-http\"") {
        return Err("the coverage page has no tallies or no http section".into());
    }
    let errors = console_errors(&log);
    if !errors.is_empty() {
        return Err(format!("console errors on the coverage page: {errors:?}").into());
    }
    // Whole pages from their top: headless Chromium paints nothing of a
    // page it scrolled to an anchor.
    for (page, file) in [
        ("index.html?q=keylog", "index.png"),
        ("tls/handshake.html", "case.png"),
        ("coverage.html", "coverage.png"),
    ] {
        let shot = shots.join(file);
        let _ = std::fs::remove_file(&shot);
        let arg = format!("--screenshot={}", shot.display());
        run(browser, &url(page), &[&arg, "--window-size=1200,2500"])?;
        if !shot.exists() {
            return Err(format!("no screenshot of {page}").into());
        }
    }
    Ok(())
}

/// Loads a spec page in a frame, clicks the summary of its first xfail
/// cell, and records whether the diff was visible before and after.
const CLICK_TEST: &str = r#"<!doctype html>
<html><body>
<iframe id="f" src="tls/handshake.html" width="1200" height="800"></iframe>
<script>
document.getElementById('f').addEventListener('load', function () {
  var out = {};
  try {
    var details = this.contentDocument.querySelector('td.st-xfail details');
    var diff = details.querySelector('pre');
    out.before = diff.checkVisibility();
    details.querySelector('summary').click();
    out.open = details.open;
    out.after = diff.checkVisibility();
    out.diff = diff.textContent.slice(0, 60);
  } catch (e) { out.error = String(e); }
  document.body.setAttribute('data-result', JSON.stringify(out));
});
</script>
</body></html>
"#;

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

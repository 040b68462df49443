//! `net::is_ip` against live Node on generated inputs: thousands of
//! IP-shaped strings (digits, hex, `.`, `:`, `%`, `/`, spaces), answered by
//! one `node` process, compared one by one. Without `node` on PATH the test
//! is reported as ignored, with the reason.

use std::io::Write;
use std::process::{Command, Stdio};

use nodecompat::net::{is_ip, is_ipv4, is_ipv6};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// Strings that are, or are near misses of, IPv4 and IPv6 addresses.
fn ip_like() -> impl Strategy<Value = String> {
    let v4 = (0u32..300, 0u32..300, 0u32..300, 0u32..300)
        .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}"));
    let v4_padded = (0u32..256, 0u32..256).prop_map(|(a, b)| format!("{a:03}.{b}.0.1"));
    let v6 = proptest::collection::vec(0u32..0x1_0000, 1..10).prop_map(|groups| {
        groups
            .iter()
            .map(|g| format!("{g:x}"))
            .collect::<Vec<_>>()
            .join(":")
    });
    let v6_compressed = (
        proptest::collection::vec(0u32..0x1_0000, 0..5),
        proptest::collection::vec(0u32..0x1_0000, 0..5),
    )
        .prop_map(|(a, b)| {
            let hex = |v: &Vec<u32>| {
                v.iter()
                    .map(|g| format!("{g:X}"))
                    .collect::<Vec<_>>()
                    .join(":")
            };
            format!("{}::{}", hex(&a), hex(&b))
        });
    let mapped = (0u32..256, 0u32..300).prop_map(|(a, b)| format!("::ffff:{a}.{b}.0.1"));
    let noise = "[0-9a-fA-F.:%/ g]{0,20}";
    let base = proptest::prop_oneof![
        v4,
        v4_padded,
        v6,
        v6_compressed,
        mapped,
        noise.prop_map(String::from)
    ];
    (base, proptest::option::of("%[a-z0-9]{0,5}|/[0-9]{1,3}| "))
        .prop_map(|(s, suffix)| s + &suffix.unwrap_or_default())
}

/// Compares; `Err` with the reason when `node` cannot be started (the
/// test is then reported as ignored).
fn is_ip_agrees_with_live_node_on_generated_inputs() -> Result<(), String> {
    let node = std::env::var("NODECOMPAT_NODE").unwrap_or_else(|_| "node".into());
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let strategy = ip_like();
    let inputs: Vec<String> = (0..4000)
        .map(|_| {
            strategy
                .new_tree(&mut runner)
                .expect("strategy generates")
                .current()
        })
        .collect();

    let script = "const net=require('net');let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{\
        process.stdout.write(JSON.stringify(JSON.parse(s).map(x=>[net.isIP(x),net.isIPv4(x),net.isIPv6(x)])))})";
    let child = Command::new(&node)
        .args(["-e", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        return Err(format!("`{node}` was not found on PATH"));
    };
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(
            serde_json::to_string(&inputs)
                .expect("strings encode")
                .as_bytes(),
        )
        .expect("node reads the inputs");
    let out = child.wait_with_output().expect("node answers");
    let answers: Vec<(u8, bool, bool)> =
        serde_json::from_slice(&out.stdout).expect("node prints JSON");

    assert_eq!(answers.len(), inputs.len(), "node answered every input");
    let mut wrong = Vec::new();
    for (input, node_says) in inputs.iter().zip(&answers) {
        let ours = (is_ip(input), is_ipv4(input), is_ipv6(input));
        if ours != *node_says {
            wrong.push(format!("{input:?}: node {node_says:?}, reference {ours:?}"));
        }
    }
    let valid = answers.iter().filter(|a| a.0 != 0).count();
    assert!(
        valid > 500 && valid < 3500,
        "the generator should mix valid and invalid inputs ({valid} valid)"
    );
    assert!(
        wrong.is_empty(),
        "{} of {} disagree:\n{}",
        wrong.len(),
        inputs.len(),
        wrong.join("\n")
    );
    Ok(())
}

fn main() {
    use libtest_mimic::{Arguments, Completion, Trial};
    let args = Arguments::from_args();
    let trial = Trial::ignorable_test("is_ip_agrees_with_live_node_on_generated_inputs", || {
        Ok(match is_ip_agrees_with_live_node_on_generated_inputs() {
            Ok(()) => Completion::Completed,
            Err(reason) => Completion::ignored_with(reason),
        })
    });
    libtest_mimic::run(&args, vec![trial]).exit();
}

//! The `nodecompat` command line.
fn main() {
    // Filled in by the harness work; see `nodecompat --help`.
}

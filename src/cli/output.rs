//! Standard output for every command. A closed pipe (`nodecompat list |
//! head`) ends the process quietly with status 141, as a program ended by
//! SIGPIPE ends: nothing more can be read, and a run cut short claims no
//! verdict. (`print!` would panic there instead: Rust ignores SIGPIPE.)

use std::io::{ErrorKind, IsTerminal as _, Write as _};

/// The exit status after a closed pipe: 128 + SIGPIPE, what shells report
/// for a program SIGPIPE ended.
pub const BROKEN_PIPE: i32 = 141;

/// Writes `text` to stdout and flushes it.
pub fn print(text: std::fmt::Arguments) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(text).and_then(|()| out.flush()) {
        if e.kind() == ErrorKind::BrokenPipe {
            std::process::exit(BROKEN_PIPE);
        }
        eprintln!("nodecompat: cannot write to standard output: {e}");
        std::process::exit(2);
    }
}

/// `println!` that ends quietly on a closed pipe.
macro_rules! outln {
    () => { $crate::cli::output::print(format_args!("\n")) };
    ($($arg:tt)*) => {
        $crate::cli::output::print(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` that ends quietly on a closed pipe.
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli::output::print(format_args!($($arg)*)) };
}

pub(crate) use {out, outln};

/// Argument errors, `--help` and `--version`: clap's `exit`, except that
/// what goes to stdout goes through [`print`].
pub fn clap_exit(e: clap::Error) -> ! {
    if e.use_stderr() {
        e.exit();
    }
    let text = e.render();
    if std::io::stdout().is_terminal() {
        print(format_args!("{}", text.ansi()));
    } else {
        print(format_args!("{text}"));
    }
    std::process::exit(e.exit_code());
}

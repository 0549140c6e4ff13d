//! `apigw-lint [--format text|json] [--deny-warnings] FILE|STATE_DIR...`: see the library docs.

fn main() -> std::process::ExitCode {
    apigw_lint::run(std::env::args().skip(1))
}

//! `mynacert`: the command. Argument parsing, wiring a lab from a lab file (the simulator's virtual lab or
//! a bench, through the harness's lab factory), printing.

mod cli;

fn main() {
    std::process::exit(cli::main());
}

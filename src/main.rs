fn main() {
    std::process::exit(mynacert::cli::main());
}

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(kmod_doctor::cli::run().code())
}

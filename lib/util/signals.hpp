#pragma once
// Cooperative interruption. main() installs handlers for SIGINT, SIGTERM and
// SIGHUP that only set a flag; long-running loops call check_interrupted(), which
// throws gp::Error(Exit::interrupted) so that destructors remove temporary files.
namespace gp {

void install_interrupt_handlers();

// True once SIGINT/SIGTERM/SIGHUP arrived.
bool interrupted() noexcept;

// Throws gp::Error(Exit::interrupted) when interrupted() is true.
void check_interrupted();

}  // namespace gp

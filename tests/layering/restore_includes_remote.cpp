// Compiled by the `layering` test only, and expected NOT to compile: lib/restore may
// not use lib/remote (ARCHITECTURE.md, "Dependencies between lib/ folders"), so
// remote's headers are not on gp_restore's include path.
#include "restore/restore.hpp"
#include "remote/remote.hpp"

// Compiled by the `layering` test: what lib/restore may use (lib/backup, and
// through it lib/store) is on its include path. The control for the probe that
// must fail, so that a broken include path cannot pass for a layering check.
#include "backup/backup.hpp"
#include "restore/restore.hpp"
#include "store/store.hpp"

package testkit

import (
	"io"
	"log/slog"

	"pelote/internal/identity"
)

// FastArgon2 are argon2id parameters that cost microseconds: tests hash
// many passwords. The production parameters are tested in identity and
// config, and measured by bench/login.sh.
var FastArgon2 = identity.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}

// Quiet is a logger that writes nothing.
var Quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

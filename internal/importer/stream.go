package importer

import (
	"errors"
	"io"
	"sync"

	"pelote/internal/identity"
)

// Source hands an import its accounts while the rest of the file is still
// being decoded, so that checking and writing the first accounts overlap
// with reading the others (identity.Store.ImportFrom). It is what Read
// returns, in another shape: the same accounts, groups and errors.
type Source struct {
	batches chan []identity.ImportAccount
	stop    chan struct{}
	once    sync.Once
	// groups and err are set before batches is closed.
	groups []identity.ImportGroup
	err    error
}

// Stream reads r (LDIF or CSV, as Read tells them apart) in the
// background. The caller must Close the Source once done with it.
func Stream(r io.Reader) *Source {
	s := &Source{batches: make(chan []identity.ImportAccount, 4), stop: make(chan struct{})}
	data, err := readAll(r)
	if err != nil {
		s.err = err
		close(s.batches)
		return s
	}
	go func() {
		defer close(s.batches)
		if !looksLikeLDIF(data) {
			accounts, err := ReadCSV(data)
			if err == nil {
				s.send(accounts)
			}
			s.err = err
			return
		}
		s.groups, s.err = streamLDIF(data, s.send)
		if errors.Is(s.err, errStop) {
			s.err = nil
		}
	}()
	return s
}

// send hands a batch over; false once the import has ended.
func (s *Source) send(batch []identity.ImportAccount) bool {
	select {
	case s.batches <- batch:
		return true
	case <-s.stop:
		return false
	}
}

// Accounts returns the next batch of accounts, and io.EOF once there are
// no more.
func (s *Source) Accounts() ([]identity.ImportAccount, error) {
	if batch, ok := <-s.batches; ok {
		return batch, nil
	}
	if s.err != nil {
		return nil, s.err
	}
	return nil, io.EOF
}

// Groups returns the file's groups once it is all read.
func (s *Source) Groups() ([]identity.ImportGroup, error) {
	for range s.batches {
		// Accounts not asked for: the import stopped reading them.
	}
	return s.groups, s.err
}

// Err is the file's problem, if reading it failed; valid once Groups or
// Close returned.
func (s *Source) Err() error { return s.err }

// Close stops the reading if the import ended before it did.
func (s *Source) Close() {
	s.once.Do(func() { close(s.stop) })
	for range s.batches {
	}
}

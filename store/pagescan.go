package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
)

// scanPages reads the bbolt file at path with ordinary reads and checks
// that every page reachable from the current meta page, every element of
// those pages, every key and value, every inline bucket and the freelist
// lie inside the file, and that no page is reached twice.
//
// bbolt reads the file through mmap and trusts its page and element
// headers: one flipped bit can point it outside the mapping (a SIGBUS or
// SIGSEGV that kills the process) or into a cycle (endless recursion).
// Part of bbolt's consistency check runs in a goroutine of its own, where
// no recover can catch that; this scan runs first so that such a file is
// reported as corrupt instead.
//
// Layout (bbolt 1.x, go.etcd.io/bbolt/internal/common): a page starts with
// id u64, flags u16, count u16, overflow u32; branch elements are pos u32,
// ksize u32, pgid u64; leaf elements flags u32, pos u32, ksize u32, vsize
// u32, with pos relative to the element; a bucket value starts with root
// u64, sequence u64, followed by the page of an inline bucket (root 0).
func scanPages(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	s := &pageScan{f: f, size: uint64(fi.Size()), seen: map[uint64]bool{}}
	if err := s.scan(); err != nil {
		var rerr readError
		if errors.As(err, &rerr) {
			return fmt.Errorf("%s: %w", path, rerr.err)
		}
		return fmt.Errorf("%s: %w: %w", path, err, ErrCorrupt)
	}
	return nil
}

// readError is a failure to read the file, as opposed to damage in it.
type readError struct{ err error }

func (e readError) Error() string { return e.err.Error() }

// read returns n bytes at off; the caller has checked they lie inside the
// file.
func (s *pageScan) read(off, n uint64) ([]byte, error) {
	b := make([]byte, n)
	if _, err := s.f.ReadAt(b, int64(off)); err != nil {
		return nil, readError{err}
	}
	return b, nil
}

const (
	pageHeaderSize = 16
	elementSize    = 16
	bucketHeader   = 16
	metaMagic      = 0xED0CDAED
	metaVersion    = 2
	noFreelist     = ^uint64(0)

	branchPage   = 0x01
	leafPage     = 0x02
	freelistPage = 0x10
	bucketLeaf   = 0x01
)

type meta struct {
	pageSize           uint32
	root, freelist, hw uint64
	txid               uint64
}

type pageScan struct {
	f    *os.File
	size uint64
	ps   uint64
	hwm  uint64
	seen map[uint64]bool
}

var le = binary.LittleEndian

// readMeta decodes and validates the meta page at byte offset off.
func (s *pageScan) readMeta(off uint64) (meta, bool) {
	const size = 64 // magic … checksum
	if off+pageHeaderSize+size > s.size {
		return meta{}, false
	}
	m, err := s.read(off+pageHeaderSize, size)
	if err != nil {
		return meta{}, false
	}
	h := fnv.New64a()
	_, _ = h.Write(m[:56])
	if le.Uint32(m[0:]) != metaMagic || le.Uint32(m[4:]) != metaVersion || le.Uint64(m[56:]) != h.Sum64() {
		return meta{}, false
	}
	return meta{
		pageSize: le.Uint32(m[8:]), root: le.Uint64(m[16:]),
		freelist: le.Uint64(m[32:]), hw: le.Uint64(m[40:]), txid: le.Uint64(m[48:]),
	}, true
}

// current picks the meta page bbolt uses: the page size from the first
// valid meta page (bbolt probes page 1 at 1 KiB…16 MiB), then of the two
// metas the valid one with the higher txid.
func (s *pageScan) current() (meta, error) {
	m0, ok0 := s.readMeta(0)
	ps := uint64(m0.pageSize)
	if !ok0 {
		for i := 0; i <= 14; i++ {
			pos := uint64(1024) << i
			if pos+1024 >= s.size {
				break
			}
			if m, ok := s.readMeta(pos); ok {
				ps = uint64(m.pageSize)
				break
			}
		}
	}
	if ps < 1024 || ps > 1<<24 || ps&(ps-1) != 0 {
		return meta{}, fmt.Errorf("no valid meta page")
	}
	s.ps = ps
	m1, ok1 := s.readMeta(ps)
	if ok0 && uint64(m0.pageSize) != ps {
		ok0 = false
	}
	if ok1 && uint64(m1.pageSize) != ps {
		ok1 = false
	}
	a, okA, b, okB := m0, ok0, m1, ok1
	if m1.txid > m0.txid {
		a, okA, b, okB = m1, ok1, m0, ok0
	}
	switch {
	case okA:
		return a, nil
	case okB:
		return b, nil
	}
	return meta{}, fmt.Errorf("no valid meta page")
}

func (s *pageScan) scan() error {
	m, err := s.current()
	if err != nil {
		return err
	}
	s.hwm = m.hw
	if s.hwm < 3 || s.hwm > s.size/s.ps {
		return fmt.Errorf("high water mark %d pages, file holds %d", s.hwm, s.size/s.ps)
	}
	if m.freelist == noFreelist {
		return fmt.Errorf("no freelist page")
	}
	if err := s.freelist(m.freelist); err != nil {
		return err
	}
	return s.tree(m.root, 0)
}

// page returns page id with its overflow pages, or an error when any of
// it lies outside the file or was reached before.
func (s *pageScan) page(id uint64) ([]byte, error) {
	if id < 2 || id >= s.hwm {
		return nil, fmt.Errorf("page %d outside 2…%d", id, s.hwm-1)
	}
	if s.seen[id] {
		return nil, fmt.Errorf("page %d reached twice", id)
	}
	s.seen[id] = true
	start := id * s.ps
	hdr, err := s.read(start, pageHeaderSize)
	if err != nil {
		return nil, err
	}
	if le.Uint64(hdr) != id {
		return nil, fmt.Errorf("page %d says it is page %d", id, le.Uint64(hdr))
	}
	n := 1 + uint64(le.Uint32(hdr[12:]))
	if id+n > s.hwm {
		return nil, fmt.Errorf("page %d overflows past the high water mark", id)
	}
	return s.read(start, n*s.ps)
}

func (s *pageScan) freelist(id uint64) error {
	p, err := s.page(id)
	if err != nil {
		var rerr readError
		if errors.As(err, &rerr) {
			return err
		}
		return fmt.Errorf("freelist: %w", err)
	}
	if le.Uint16(p[8:])&freelistPage == 0 {
		return fmt.Errorf("freelist page %d has flags %#x", id, le.Uint16(p[8:]))
	}
	idx, count := uint64(0), uint64(le.Uint16(p[10:]))
	if count == 0xFFFF {
		if len(p) < pageHeaderSize+8 {
			return fmt.Errorf("freelist page %d truncated", id)
		}
		idx, count = 1, le.Uint64(p[pageHeaderSize:])
	}
	avail := (uint64(len(p)) - pageHeaderSize) / 8
	if idx+count > avail || idx+count < idx {
		return fmt.Errorf("freelist page %d lists %d ids, room for %d", id, count, avail-idx)
	}
	for i := idx; i < idx+count; i++ {
		if free := le.Uint64(p[pageHeaderSize+8*i:]); free < 2 || free >= s.hwm {
			return fmt.Errorf("freelist names page %d outside 2…%d", free, s.hwm-1)
		}
	}
	return nil
}

// tree checks the pages of a bucket rooted at page id.
func (s *pageScan) tree(id uint64, depth int) error {
	if depth > 64 {
		return fmt.Errorf("page %d: tree deeper than 64", id)
	}
	p, err := s.page(id)
	if err != nil {
		return err
	}
	flags := le.Uint16(p[8:])
	switch {
	case flags&branchPage != 0:
		return s.branch(id, p, depth)
	case flags&leafPage != 0:
		return s.leaf(fmt.Sprintf("page %d", id), p, depth)
	}
	return fmt.Errorf("page %d has flags %#x, not a branch or leaf page", id, flags)
}

func (s *pageScan) branch(id uint64, p []byte, depth int) error {
	count := uint64(le.Uint16(p[10:]))
	if count == 0 || pageHeaderSize+count*elementSize > uint64(len(p)) {
		return fmt.Errorf("branch page %d: %d elements do not fit", id, count)
	}
	for i := range count {
		off := pageHeaderSize + i*elementSize
		e := p[off : off+elementSize]
		pos, ksize := uint64(le.Uint32(e)), uint64(le.Uint32(e[4:]))
		if off+pos+ksize > uint64(len(p)) {
			return fmt.Errorf("branch page %d element %d: key outside the page", id, i)
		}
		if err := s.tree(le.Uint64(e[8:]), depth+1); err != nil {
			return err
		}
	}
	return nil
}

// leaf checks a leaf page (a real one, or an inline bucket's page held in
// a value) and the buckets it holds.
func (s *pageScan) leaf(where string, p []byte, depth int) error {
	if uint64(len(p)) < pageHeaderSize {
		return fmt.Errorf("%s: shorter than a page header", where)
	}
	count := uint64(le.Uint16(p[10:]))
	if pageHeaderSize+count*elementSize > uint64(len(p)) {
		return fmt.Errorf("%s: %d elements do not fit", where, count)
	}
	for i := range count {
		off := pageHeaderSize + i*elementSize
		e := p[off : off+elementSize]
		flags := le.Uint32(e)
		pos, ksize, vsize := uint64(le.Uint32(e[4:])), uint64(le.Uint32(e[8:])), uint64(le.Uint32(e[12:]))
		end := off + pos + ksize + vsize
		if end > uint64(len(p)) || end < off {
			return fmt.Errorf("%s element %d: key or value outside the page", where, i)
		}
		if flags&bucketLeaf == 0 {
			continue
		}
		v := p[off+pos+ksize : end]
		if len(v) < bucketHeader {
			return fmt.Errorf("%s element %d: bucket header of %d bytes", where, i, len(v))
		}
		if root := le.Uint64(v); root != 0 {
			if err := s.tree(root, depth+1); err != nil {
				return err
			}
			continue
		}
		inline := v[bucketHeader:]
		if len(inline) >= pageHeaderSize && le.Uint16(inline[8:])&leafPage == 0 {
			return fmt.Errorf("%s element %d: inline bucket is not a leaf page", where, i)
		}
		if depth > 64 {
			return fmt.Errorf("%s: buckets nested deeper than 64", where)
		}
		if err := s.leaf(fmt.Sprintf("%s element %d inline bucket", where, i), inline, depth+1); err != nil {
			return err
		}
	}
	return nil
}

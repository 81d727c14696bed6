package printable

import (
	"runtime"
	"sync"
)

// QR encoding is most of the cost of a stamp sheet (go-qrcode builds and
// scores all eight masks: about 1.2 ms and 370 KB of garbage per signed
// Digital Link), so a sheet encodes the next few labels' codes on other
// cores while it draws and compresses the current page. Results come back
// in label order, so the output is the same bytes as a sequential run.
//
// At most qrWindow labels are in flight, which bounds the memory (a few
// kilobytes each) and how far the iterator is read ahead of the output.
// Workers are capped so one big print run leaves cores to the rest of the
// server.
const maxQRWorkers = 4

// qrJob is one label going through the pipeline.
type qrJob struct {
	label Label
	mods  [][]bool
	err   error
	done  chan struct{} // receives once when mods and err are set
}

// qrPipeline encodes labels' QR codes concurrently and returns them in
// submission order. It is used by one goroutine; close must be called.
type qrPipeline struct {
	jobs   chan *qrJob
	ring   []*qrJob // in-flight jobs; head is the oldest
	head   int
	n      int // jobs in flight
	wg     sync.WaitGroup
	closed bool
}

func newQRPipeline() *qrPipeline {
	workers := min(runtime.GOMAXPROCS(0), maxQRWorkers)
	window := 2 * workers
	p := &qrPipeline{jobs: make(chan *qrJob, window), ring: make([]*qrJob, window)}
	for i := range p.ring {
		p.ring[i] = &qrJob{done: make(chan struct{}, 1)}
	}
	p.wg.Add(workers)
	for range workers {
		go func() {
			defer p.wg.Done()
			for j := range p.jobs {
				j.mods, j.err = qrMatrix(j.label.URL, stampLevel)
				j.done <- struct{}{}
			}
		}()
	}
	return p
}

// full reports whether submit must wait for next first.
func (p *qrPipeline) full() bool { return p.n == len(p.ring) }

// pending reports whether jobs are in flight.
func (p *qrPipeline) pending() bool { return p.n > 0 }

// submit queues l; the pipeline must not be full. Labels with an empty or
// over-long URL are not encoded (the caller rejects them anyway).
func (p *qrPipeline) submit(l Label) {
	j := p.ring[(p.head+p.n)%len(p.ring)]
	p.n++
	j.label, j.mods, j.err = l, nil, nil
	if l.URL == "" || len(l.URL) > maxURLLen {
		j.done <- struct{}{}
		return
	}
	p.jobs <- j
}

// next waits for the oldest job and returns it. The job is reused after
// the following submit, so its fields must be read before then.
func (p *qrPipeline) next() *qrJob {
	j := p.ring[p.head]
	<-j.done
	p.head = (p.head + 1) % len(p.ring)
	p.n--
	return j
}

// close stops the workers once they finish the jobs in flight.
func (p *qrPipeline) close() {
	if p.closed {
		return
	}
	p.closed = true
	close(p.jobs)
	p.wg.Wait()
}

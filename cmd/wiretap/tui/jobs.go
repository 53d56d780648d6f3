package tui

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// job is background work over many packets (a filter, a search, a sort,
// statistics) that the UI can cancel and shows the progress of.
type job struct {
	name      string
	stop      chan struct{}
	once      sync.Once
	done      atomic.Int64
	total     atomic.Int64
	cancelled atomic.Bool
}

func (j *job) cancel() {
	if j == nil {
		return
	}
	j.cancelled.Store(true)
	j.once.Do(func() { close(j.stop) })
}

func (j *job) stopped() bool {
	select {
	case <-j.stop:
		return true
	default:
		return false
	}
}

func (j *job) progress(done, total int) {
	j.done.Store(int64(done))
	j.total.Store(int64(total))
}

// status is the job's part of the status line.
func (j *job) status() string {
	if t := j.total.Load(); t > 0 {
		return fmt.Sprintf("%s %d%%", j.name, j.done.Load()*100/t)
	}
	return j.name + "…"
}

// startJob runs work in the background. What work returns runs on the UI
// goroutine when it is done (unless the job was cancelled): that is where
// results reach the screen.
func (a *App) startJob(name string, work func(j *job) func()) *job {
	j := &job{name: name, stop: make(chan struct{})}
	a.jobs[j] = true
	a.store.Go(func() {
		var finish func()
		defer func() {
			a.post(func() {
				delete(a.jobs, j)
				if finish != nil && !j.cancelled.Load() {
					finish()
				}
			})
		}()
		finish = work(j)
	})
	return j
}

package delivery

import "fmt"

// Limits of the delivery faults both simulators accept, so that one fault
// request cannot tie a simulator up.
const (
	MaxDelayMS    = 10 * 60 * 1000 // delay_ms
	MaxDuplicates = 20             // duplicates
	MaxDropFirst  = 100            // drop_first
)

// CheckFaults checks the delivery faults common to the simulators (their
// JSON names: delay_ms, duplicates, drop_first) and reports the first one
// out of range: its JSON name and an error saying the allowed range, or
// "" and nil.
func CheckFaults(delayMS, duplicates, dropFirst int) (field string, err error) {
	switch {
	case delayMS < 0 || delayMS > MaxDelayMS:
		return "delay_ms", fmt.Errorf("delay_ms must be from 0 to %d", MaxDelayMS)
	case duplicates < 0 || duplicates > MaxDuplicates:
		return "duplicates", fmt.Errorf("duplicates must be from 0 to %d", MaxDuplicates)
	case dropFirst < 0 || dropFirst > MaxDropFirst:
		return "drop_first", fmt.Errorf("drop_first must be from 0 to %d", MaxDropFirst)
	}
	return "", nil
}

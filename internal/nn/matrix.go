package nn

import (
	"fmt"
	"math"
)

// Matrix is a dense row-major matrix: element (i, j) is Data[i*Cols+j].
type Matrix struct {
	Rows, Cols int
	Data       []float64
}

// NewMatrix returns a zeroed rows×cols matrix. Negative sizes are treated as 0.
func NewMatrix(rows, cols int) Matrix {
	rows, cols = max(rows, 0), max(cols, 0)
	return Matrix{Rows: rows, Cols: cols, Data: make([]float64, rows*cols)}
}

// Row returns row i as a slice sharing m's storage (writes go through).
// It panics, like a slice index, when i is out of range.
func (m Matrix) Row(i int) []float64 {
	return m.Data[i*m.Cols : (i+1)*m.Cols : (i+1)*m.Cols]
}

// check reports whether m is well formed (non-negative sizes, len(Data) = Rows*Cols).
func (m Matrix) check(name string) error {
	if m.Rows < 0 || m.Cols < 0 {
		return fmt.Errorf("nn: %s: negative size %dx%d", name, m.Rows, m.Cols)
	}
	if len(m.Data) != m.Rows*m.Cols {
		return fmt.Errorf("nn: %s: len(Data) = %d, want Rows*Cols = %d*%d = %d",
			name, len(m.Data), m.Rows, m.Cols, m.Rows*m.Cols)
	}
	return nil
}

// checkData validates a feature matrix and its labels against a network with
// the given input and output widths: shape, matching lengths, finite features
// and labels in [0, outputs).
func checkData(name, yname string, x Matrix, y []int, inputs, outputs int) error {
	if err := x.check(name); err != nil {
		return err
	}
	if x.Rows != len(y) {
		return fmt.Errorf("nn: %s has %d rows but %s has %d labels", name, x.Rows, yname, len(y))
	}
	if x.Rows == 0 {
		return nil
	}
	if x.Cols != inputs {
		return fmt.Errorf("nn: %s has %d columns, the network has %d inputs (Config.Inputs)", name, x.Cols, inputs)
	}
	for i, v := range x.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("nn: %s[%d][%d] is %v (features must be finite)", name, i/x.Cols, i%x.Cols, v)
		}
	}
	for i, c := range y {
		if c < 0 || c >= outputs {
			return fmt.Errorf("nn: %s[%d] = %d is not a class: want 0 <= label < %d (Outputs)", yname, i, c, outputs)
		}
	}
	return nil
}

package nn

// gemmABt computes C = A·Bᵀ, i.e. C[i][j] = Σ_k A[i][k]·B[j][k], with A m×kd,
// B n×kd and C m×n, all row-major, overwriting C.
//
// It works on blocks of 2 rows of A by 3 rows of B: six independent
// accumulators hide the floating-point add latency, each loaded value is
// used two or three times, and the working set fits the SSE2 registers
// without spills (wider blocks make the Go compiler spill). The inner loops
// run over contiguous memory with bounds checks eliminated. The summation
// order is fixed, so results are reproducible.
func gemmABt(a, b, c []float64, m, n, kd int) {
	i := 0
	for ; i+2 <= m; i += 2 {
		a0 := a[i*kd : i*kd+kd]
		a1 := a[(i+1)*kd : (i+1)*kd+kd]
		a1 = a1[:len(a0)]
		c0 := c[i*n : i*n+n]
		c1 := c[(i+1)*n : (i+1)*n+n]
		c1 = c1[:len(c0)]
		j := 0
		for ; j+3 <= n; j += 3 {
			b0 := b[j*kd : j*kd+kd]
			b1 := b[(j+1)*kd : (j+1)*kd+kd]
			b2 := b[(j+2)*kd : (j+2)*kd+kd]
			b0, b1, b2 = b0[:len(a0)], b1[:len(a0)], b2[:len(a0)]
			var s00, s01, s02, s10, s11, s12 float64
			for k, x0 := range a0 {
				x1 := a1[k]
				y0, y1, y2 := b0[k], b1[k], b2[k]
				s00 += x0 * y0
				s10 += x1 * y0
				s01 += x0 * y1
				s11 += x1 * y1
				s02 += x0 * y2
				s12 += x1 * y2
			}
			cc0, cc1 := c0[j:j+3:j+3], c1[j:j+3:j+3]
			cc0[0], cc0[1], cc0[2] = s00, s01, s02
			cc1[0], cc1[1], cc1[2] = s10, s11, s12
		}
		for ; j < n; j++ {
			bj := b[j*kd : j*kd+kd]
			bj = bj[:len(a0)]
			var s0, s1 float64
			for k, y := range bj {
				s0 += a0[k] * y
				s1 += a1[k] * y
			}
			c0[j], c1[j] = s0, s1
		}
	}
	if i < m { // odd last row of A: 1×4 blocks
		a0 := a[i*kd : i*kd+kd]
		c0 := c[i*n : i*n+n]
		j := 0
		for ; j+4 <= n; j += 4 {
			b0 := b[j*kd : j*kd+kd]
			b1 := b[(j+1)*kd : (j+1)*kd+kd]
			b2 := b[(j+2)*kd : (j+2)*kd+kd]
			b3 := b[(j+3)*kd : (j+3)*kd+kd]
			b0, b1, b2, b3 = b0[:len(a0)], b1[:len(a0)], b2[:len(a0)], b3[:len(a0)]
			var s0, s1, s2, s3 float64
			for k, x := range a0 {
				s0 += x * b0[k]
				s1 += x * b1[k]
				s2 += x * b2[k]
				s3 += x * b3[k]
			}
			cc := c0[j : j+4 : j+4]
			cc[0], cc[1], cc[2], cc[3] = s0, s1, s2, s3
		}
		for ; j < n; j++ {
			c0[j] = dot(a0, b[j*kd:j*kd+kd])
		}
	}
}

// transpose writes the cols×rows transpose of src (rows×cols) into dst,
// four source rows at a time so each write is a short contiguous run.
func transpose(src, dst []float64, rows, cols int) {
	dst = dst[:rows*cols]
	i := 0
	for ; i+4 <= rows; i += 4 {
		r0 := src[i*cols : i*cols+cols]
		r1 := src[(i+1)*cols : (i+1)*cols+cols]
		r2 := src[(i+2)*cols : (i+2)*cols+cols]
		r3 := src[(i+3)*cols : (i+3)*cols+cols]
		r1, r2, r3 = r1[:len(r0)], r2[:len(r0)], r3[:len(r0)]
		for k, v := range r0 {
			d := dst[k*rows+i : k*rows+i+4 : k*rows+i+4]
			d[0], d[1], d[2], d[3] = v, r1[k], r2[k], r3[k]
		}
	}
	for ; i < rows; i++ {
		for k, v := range src[i*cols : i*cols+cols] {
			dst[k*rows+i] = v
		}
	}
}

package backtesting

import (
	"math"

	"github.com/ktrdr/ktrdr/internal/backtest"
	"github.com/ktrdr/ktrdr/internal/features"
	"github.com/ktrdr/ktrdr/internal/indicators"
	"github.com/ktrdr/ktrdr/internal/labels"
	"github.com/ktrdr/ktrdr/internal/models"
	"github.com/ktrdr/ktrdr/internal/nn"
	"github.com/ktrdr/ktrdr/internal/strategy"
	"github.com/ktrdr/ktrdr/internal/training"
)

// volumeWindow is the average the volume filter compares a bar's volume to.
const volumeWindow = 20

// ModelDecider turns a trained model's per-bar probabilities into signals
// with the strategy's decision filters, in this order:
//
//   - a row still warming up (any feature NaN) is HOLD;
//   - the most probable class is the candidate; below
//     decisions.confidence_threshold it is HOLD;
//   - with position_awareness, a BUY while long or a SELL while flat (and
//     shorts not allowed) is HOLD, so it neither trades nor counts as a
//     signal for the separation filter;
//   - filters.min_signal_separation N: a BUY/SELL fewer than N bars after
//     the previous acted-on signal is HOLD;
//   - filters.volume_filter: a BUY/SELL on a bar whose volume is below its
//     20-bar average is HOLD.
//
// Inference uses the table row of bar i, which only holds data up to bar i.
type ModelDecider struct {
	net        *nn.MLP
	scaler     *models.Scaler
	table      *features.Table
	dec        strategy.Decisions
	volAvg     []float64
	volume     []float64
	row, probs []float64
	lastSignal int
}

// NewModelDecider prepares inference over table with the model's scaler.
func NewModelDecider(net *nn.MLP, scaler *models.Scaler, table *features.Table, dec strategy.Decisions, volume []float64) *ModelDecider {
	d := &ModelDecider{net: net, scaler: scaler, table: table, dec: dec, volume: volume,
		row: make([]float64, len(table.Names)), probs: make([]float64, labels.NumClasses), lastSignal: math.MinInt / 2}
	if dec.VolumeFilter {
		d.volAvg = indicators.SMA(volume, volumeWindow)
	}
	return d
}

// Decide is the signal at bar i given the current signed position.
func (d *ModelDecider) Decide(i int, position float64) backtest.Signal {
	if !d.table.Complete[i] {
		return backtest.Signal{}
	}
	d.table.Row(i, d.row)
	training.ApplyScaler(d.scaler, d.row)
	d.net.Predict(d.row, d.probs)
	best := 0
	for k := 1; k < len(d.probs); k++ {
		if d.probs[k] > d.probs[best] {
			best = k
		}
	}
	conf := d.probs[best]
	var act backtest.Action
	switch labels.Class(best) {
	case labels.Buy:
		act = backtest.Buy
	case labels.Sell:
		act = backtest.Sell
	default:
		return backtest.Signal{Action: backtest.Hold, Confidence: conf}
	}
	if conf < d.dec.ConfidenceThreshold {
		return backtest.Signal{Action: backtest.Hold, Confidence: conf}
	}
	if d.dec.PositionAwareness {
		if (act == backtest.Buy && position > 0) || (act == backtest.Sell && (position < 0 || (position == 0 && !d.dec.AllowShort))) {
			return backtest.Signal{Action: backtest.Hold, Confidence: conf}
		}
	}
	if d.dec.MinSignalSeparation > 0 && i-d.lastSignal < d.dec.MinSignalSeparation {
		return backtest.Signal{Action: backtest.Hold, Confidence: conf}
	}
	if d.dec.VolumeFilter && (math.IsNaN(d.volAvg[i]) || d.volume[i] < d.volAvg[i]) {
		return backtest.Signal{Action: backtest.Hold, Confidence: conf}
	}
	d.lastSignal = i
	return backtest.Signal{Action: act, Confidence: conf}
}

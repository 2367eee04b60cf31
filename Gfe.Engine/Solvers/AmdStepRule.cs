using System.Runtime.CompilerServices;
using Gfe.Engine.Runs;

namespace Gfe.Engine.Solvers;

/// <summary>
/// The AMD step rule of docs/method.md §3c, written once for both modes and both kernels: the Euler trial, the
/// sufficient-decrease test, backtracking, the forced fallback step, growth, the convergence window and the
/// statistics. The decoder work goes through an <see cref="IAmdTrials"/>.
/// </summary>
/// <remarks>
/// Both modes are one algorithm over groups of images that share a time line (t, dt, loss window, convergence):
/// batch-coupled (the reference, PARITY) is one group of all B images, whose trial is accepted only if every image
/// passes; per-sample (docs/method.md §6.1) is B groups of one image, each exactly the batch-coupled rule with B = 1. A round
/// makes one trial for every group still flowing (not converged, t &lt; tau), carrying only their images through the
/// decoder. The gradient at a trial point is asked for only where the decision needs it: a forced step, or a group
/// whose losses all did not go up (a loss that went up fails the test whatever the gradient, because the right-hand
/// side sigma*dt*dtmax*||g||^2 is never negative; docs/method.md §6.5).
/// </remarks>
static class AmdStepRule
{
    /// <summary>
    /// Runs the rule over <paramref name="count"/> images. <paramref name="trace"/> sees every trial (per-sample: with
    /// <see cref="AmdTrial.Sample"/> set); <paramref name="record"/> is told (group, t) at the start and after each
    /// accepted step of a group, after the trials hold the new point.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // one long-running loop: skip tier-0 and OSR
    public static AmdSolution Run(AmdOptions options, IAmdTrials trials, int count, Action<AmdTrial>? trace,
        Action<int, double>? record)
    {
        bool perSample = options.Mode == AmdMode.PerSample;
        int groups = perSample ? count : 1, size = perSample ? 1 : count;   // group k holds images [k*size, (k+1)*size)
        double tau = options.Tau;
        double smallestDt = Math.Pow(options.Beta, options.MaxHalvings);
        // Batch mode tests the slope of the batch-mean loss; per-sample one image's, with its own scale.
        double tolerance = perSample ? options.Tolerance * options.PerSampleToleranceScale : options.Tolerance;

        var loss = new float[count];
        trials.Start(loss);
        if (record is not null)
            for (int k = 0; k < groups; k++) record(k, 0);

        var time = new double[groups];
        var dt = new double[groups];
        Array.Fill(dt, options.DtStart);
        var monitored = new List<double>[groups];
        for (int k = 0; k < groups; k++) monitored[k] = [];
        var converged = new bool[groups];
        var activeGroups = new int[groups];
        var needs = new bool[groups];
        var forcedGroup = new bool[groups];
        var acceptedGroups = new int[groups];
        var rows = new int[count];
        var steps = new float[count];
        var loss1 = new float[count];
        var norms = new float[count];
        var needed = new bool[count];
        var acceptedRows = new int[count];
        long accepted = 0, rejected = 0, forced = 0, rowsEvaluated = 0;
        int round = 0;

        while (true)
        {
            int active = 0, n = 0;
            for (int k = 0; k < groups; k++)
            {
                if (converged[k] || !(time[k] < tau)) continue;
                activeGroups[active++] = k;
                // The reference casts dt to float32 for the Euler step.
                for (int j = 0; j < size; j++, n++) (rows[n], steps[n]) = (k * size + j, (float)dt[k]);
            }
            if (active == 0) break;
            trials.Probe(rows.AsSpan(0, n), steps.AsSpan(0, n), !perSample, loss1.AsSpan(0, n));
            rowsEvaluated += n;

            bool anyNeeded = false;
            for (int a = 0; a < active; a++)
            {
                int k = activeGroups[a], first = k * size, trialFirst = a * size;
                forcedGroup[a] = dt[k] < smallestDt;
                bool decreased = true;
                for (int j = 0; j < size; j++) decreased &= loss[first + j] - loss1[trialFirst + j] >= 0f;
                needs[a] = forcedGroup[a] || decreased;
                needed.AsSpan(trialFirst, size).Fill(needs[a]);
                anyNeeded |= needs[a];
            }
            // NaN marks a gradient norm not computed (the trace shows it).
            norms.AsSpan(0, n).Fill(float.NaN);
            if (anyNeeded) trials.Gradient(needed.AsSpan(0, n), norms.AsSpan(0, n));

            int acceptedCount = 0, acceptedGroupCount = 0;
            for (int a = 0; a < active; a++)
            {
                int k = activeGroups[a], first = k * size, trialFirst = a * size;
                bool isForced = forcedGroup[a];
                double timeBefore = time[k], trialDt = dt[k];
                // The reference's acceptance test (docs/method.md §6.4: gradient at the new point, times dtmax), in float32 as
                // the reference's tensors are: l_i(z) - l_i(z1) >= sigma * dt * dtmax * ||grad l_i(z1)||^2 for all i.
                float scale = (float)(options.Sigma * trialDt * options.DtMax);
                bool ok = needs[a];
                for (int j = 0; j < size && ok; j++) ok = loss[first + j] - loss1[trialFirst + j] >= scale * norms[trialFirst + j];
                if (isForced)
                {
                    // The fallback: accept z1 (made with the tiny dt) but advance time by a full fallback step.
                    dt[k] = Math.Min(options.FallbackDt, tau - time[k]);
                    ok = true;
                }
                var lossBefore = trace is null ? null : loss[first..(first + size)];
                if (ok)
                {
                    // The next step grows from this one but is clipped with the time BEFORE the step (docs/method.md §6.3, PARITY).
                    double nextDt = Math.Min(Math.Min(Math.Max(options.DtStart, options.Growth * dt[k]), options.DtMax), tau - time[k]);
                    double advance = dt[k];
                    time[k] += dt[k];
                    for (int j = 0; j < size; j++)
                    {
                        loss[first + j] = loss1[trialFirst + j];
                        acceptedRows[acceptedCount++] = trialFirst + j;
                    }
                    acceptedGroups[acceptedGroupCount++] = k;
                    double? monitoredLoss = null;
                    if ((tau - time[k]) / tau <= options.MonitorFraction)
                    {
                        monitoredLoss = Mean(loss, first, size);
                        monitored[k].Add(monitoredLoss.Value);
                        converged[k] |= AmdSolver.HasConverged(monitored[k], options.Window, tolerance);
                    }
                    dt[k] = nextDt;
                    accepted++;
                    if (isForced) forced++;
                    trace?.Invoke(new AmdTrial(timeBefore, trialDt, true, isForced, advance, lossBefore!,
                        loss1[trialFirst..(trialFirst + size)], norms[trialFirst..(trialFirst + size)], monitoredLoss, converged[k])
                        { Sample = perSample ? k : null, ActiveSamples = n, Round = round });
                }
                else
                {
                    dt[k] *= options.Beta;
                    rejected++;
                    trace?.Invoke(new AmdTrial(timeBefore, trialDt, false, false, 0, lossBefore!,
                        loss1[trialFirst..(trialFirst + size)], norms[trialFirst..(trialFirst + size)], null, false)
                        { Sample = perSample ? k : null, ActiveSamples = n, Round = round });
                }
            }
            if (acceptedCount > 0) trials.Accept(acceptedRows.AsSpan(0, acceptedCount));
            if (record is not null)
                for (int a = 0; a < acceptedGroupCount; a++) record(acceptedGroups[a], time[acceptedGroups[a]]);
            round++;
        }

        var latent = trials.Final();
        var sampleTimes = new double[count];
        for (int i = 0; i < count; i++) sampleTimes[i] = time[i / size];
        var statistics = new AmdStatistics(groups, accepted, rejected, forced, converged.Count(c => c));
        return new AmdSolution(latent, statistics, time.Max())
        {
            SampleTimes = sampleTimes,
            RowsEvaluated = rowsEvaluated,
            ForwardRows = trials.ForwardRows,
            BackwardRows = trials.BackwardRows,
        };
    }

    /// <summary>The group's mean loss, summed in double in image order (batch mode: the reference's batch mean).</summary>
    static double Mean(float[] values, int first, int count)
    {
        double sum = 0;
        for (int i = first; i < first + count; i++) sum += values[i];
        return sum / count;
    }
}

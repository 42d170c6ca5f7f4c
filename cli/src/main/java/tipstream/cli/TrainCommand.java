package tipstream.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tipstream.dataset.MetricTags;
import tipstream.dataset.PlainName;
import tipstream.devstack.DevStack;
import tipstream.devstack.LocalPlatform;
import tipstream.devstack.MetricsWatch;
import tipstream.devstack.PipelineServices;
import tipstream.v1.MetricEvent;

/**
 * A training run on the current dataset of the platform `up` runs on this machine: starts a
 * trainer, follows its progress and every evaluation, and stops it at the last step.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train on the current dataset of `tipstream up` (this machine); an existing --run-id resumes it.")
public final class TrainCommand implements Callable<Integer> {
    private static final List<String> SHOWN = MetricTags.SEED_METRICS;

    @Option(names = "--steps", defaultValue = "2400", description = "training steps (default ${DEFAULT-VALUE})")
    long steps;

    @Option(names = "--minutes", description = "train for at most this many minutes: the run plans the steps that fit"
            + " and ends its learning-rate schedule there")
    Double minutes;

    @Option(names = "--checkpoint-every", defaultValue = "600", description = "steps between evaluated checkpoints")
    int checkpointEvery;

    @Option(names = "--batch", defaultValue = "" + LocalPlatform.BATCH, description = "training batch size")
    int batch;

    @Option(names = "--run-id", description = "the run id (default: run-<date>-<time>); an existing one resumes")
    String runId;

    @Option(names = "--data-dir", defaultValue = "${sys:tipstream.home:-.}/.devstack", description = "the data folder `tipstream up` uses")
    Path dataDir;

    @Option(names = "--project-dir", defaultValue = "${sys:tipstream.home:-.}", description = "the project checkout (for the service jars)")
    Path projectDir;

    @Override
    public Integer call() throws Exception {
        Optional<String> badRunId = runId == null ? Optional.empty() : PlainName.problem("--run-id", runId);
        if (badRunId.isPresent()) { // it names the run's objects in S3 and its metric series
            System.out.println(badRunId.get());
            return 2;
        }
        if (runId == null) {
            runId = "run-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        }
        try (java.net.Socket eval = new java.net.Socket("127.0.0.1", LocalPlatform.EVAL_PORT)) {
            eval.getPort(); // eval answers: the platform is up
        } catch (java.io.IOException e) {
            System.out.println("nothing answers on 127.0.0.1:" + LocalPlatform.EVAL_PORT + ": start the platform first,"
                    + " with `./tipstream up` in another terminal");
            return 3;
        }
        String evalRun = runId + "/eval";
        long last;
        try (MetricsWatch watch = new MetricsWatch("127.0.0.1", LocalPlatform.EVAL_PORT, event -> { })) {
            System.out.println("starting trainer-service for run " + runId + " (" + steps + " steps of " + batch + ")...");
            try (PipelineServices trainer = PipelineServices.start(DevStack.Settings.standard(dataDir).serviceConfig(),
                    projectDir, dataDir.resolve("logs"), List.of(LocalPlatform.trainer(runId, steps,
                            Optional.ofNullable(minutes), checkpointEvery, batch)), Duration.ofMinutes(3));
                    ProgressBar bar = new ProgressBarBuilder().setTaskName("train " + runId).setInitialMax(steps)
                            .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(1000).continuousUpdate().build()) {
                long[] shown = {-1};
                last = watch.awaitLastEvaluation(runId, Duration.ofDays(7), () -> {
                    trainer.requireAlive();
                    long end = LocalPlatform.trainerFinalStep(0);
                    if (end > 0) {
                        bar.maxHint(end);
                    }
                    bar.stepTo(LocalPlatform.trainerStep(bar.getCurrent()));
                    for (MetricEvent event : watch.series(evalRun, MetricTags.EVALUATION_DONE)) {
                        if (event.getStep() > shown[0]) {
                            shown[0] = event.getStep();
                            System.out.println();
                            System.out.println("  eval step " + event.getStep() + ": " + line(watch, evalRun, event.getStep()));
                        }
                    }
                });
                bar.maxHint(last);
                bar.stepTo(last);
            }
            System.out.println("run " + runId + " done; at step " + last + ": " + line(watch, evalRun, last));
            System.out.println("predict serves the best checkpoint: ./tipstream predict IMAGE.png");
        }
        return 0;
    }


    private static String line(MetricsWatch watch, String run, long step) {
        double frames = watch.get(run, MetricTags.EVAL_FRAMES, step).map(MetricEvent::getValue).orElse(0.0);
        if (frames == 0) {
            return "no eval frames yet: the dataset holds out whole captures for eval (about a quarter of them);"
                    + " upload more captures";
        }
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "on %.0f eval frames: ", frames));
        for (String tag : SHOWN) {
            watch.get(run, tag, step).ifPresent(e -> text.append(String.format(Locale.ROOT, "%s %.3f  ",
                    tag.substring(tag.indexOf('/') + 1), e.getValue())));
        }
        return text.toString().trim();
    }
}

package tipstream.eval;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;
import tipstream.dataset.PngFrameCodec;
import tipstream.model.TipPrediction;
import tipstream.v1.DatasetSample;
import tipstream.v1.Point;

class WorstFramesTest {
    private static DatasetSample sample(String name, boolean visible, double x, double y) {
        BufferedImage image = new BufferedImage(264, 203, BufferedImage.TYPE_BYTE_GRAY);
        DatasetSample.Builder s = DatasetSample.newBuilder().setFrameName(name).setVisible(visible)
                .setPng(ByteString.copyFrom(PngFrameCodec.encode(image)));
        if (visible) {
            s.setTip(Point.newBuilder().setX(x).setY(y));
        }
        return s.build();
    }

    @Test
    void wrongPresenceComesFirstThenTheFarthestAndRightFramesNever() {
        DatasetSample right = sample("right", true, 100, 100);
        DatasetSample far = sample("far", true, 100, 100);
        DatasetSample falseAlarm = sample("false-alarm", false, -1, -1);
        TipPrediction near = new TipPrediction(0.9, 103, 100);
        TipPrediction sixtyOff = new TipPrediction(0.9, 160, 100);
        TipPrediction said = new TipPrediction(0.7, 50, 50);
        assertThat(WorstFrames.badness(falseAlarm, said, 0.5)).isGreaterThan(WorstFrames.badness(far, sixtyOff, 0.5));
        assertThat(WorstFrames.badness(far, sixtyOff, 0.5)).isEqualTo(60.0);
        assertThat(WorstFrames.badness(right, near, 0.5)).isEqualTo(3.0);
        // at a threshold above 0.7 the false alarm is no alarm: right
        assertThat(WorstFrames.badness(falseAlarm, said, 0.8)).isZero();

        var scored = new CheckpointEvaluator.Scored(List.of(right, far, falseAlarm), List.of(near, sixtyOff, said), 1.0);
        BufferedImage sheet = WorstFrames.sheet(scored, 0.5, 528, 12, 4).orElseThrow();
        // two wrong frames side by side, the right one left out; each 264 x 203 plus a caption line
        assertThat(sheet.getWidth()).isEqualTo(2 * 264);
        assertThat(sheet.getHeight()).isEqualTo(203 + 14);
        // the second tile is the frame 60 px off: its predicted tip (80, 50 in tile pixels) is marked red
        int rgb = sheet.getRGB(264 + 80, 50);
        assertThat((rgb >> 16) & 0xff).isGreaterThan(150);
        assertThat(WorstFrames.sheet(new CheckpointEvaluator.Scored(List.of(right), List.of(near), 1.0), 0.5, 528, 12, 4))
                .isEmpty();
    }
}

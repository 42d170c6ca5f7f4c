package tipstream.capturesim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tipstream.capturesim.SatelliteMockup.Room;

class SatelliteMockupTest {
    private static final int MOCKUP_DECOYS = new SatelliteMockup().decoys().size();

    @Test
    void everythingOfARandomRoomStandsInsideItsWalls() {
        Random random = new Random(3);
        for (int k = 0; k <= 200; k++) {
            // room 0 is the original lab, whose corner crates used to stick out through its walls
            Room room = k == 0 ? Room.original() : Room.random(random);
            SatelliteMockup scene = k == 0 ? new SatelliteMockup() : new SatelliteMockup(room, random.nextLong());
            List<Vec3> points = new ArrayList<>();
            scene.faces().stream().filter(f -> !f.satellite()).forEach(f -> points.addAll(List.of(f.corners())));
            scene.rods().forEach(r -> points.addAll(List.of(r.from(), r.to())));
            scene.decoys().forEach(d -> points.add(d.centre()));
            for (Vec3 p : points) {
                assertThat(Math.abs(p.x())).as("room %d: %s", k, p).isLessThanOrEqualTo(room.halfWidth() + 1e-9);
                assertThat(p.z()).as("room %d: %s", k, p).isBetween(room.back() - 1e-9, room.front() + 1e-9);
                assertThat(p.y()).as("room %d: %s", k, p).isBetween(-2.2 - 1e-9, 6 + 1e-9);
            }
        }
    }

    @Test
    void theArmsCameraStaysInsideEveryRoom() {
        Random random = new Random(4);
        for (int k = 0; k < 200; k++) {
            Room room = Room.random(random);
            for (ArmTrajectory.Kind kind : ArmTrajectory.Kind.values()) {
                ArmTrajectory path = ArmTrajectory.random(kind, random);
                for (double t = 0; t <= 1; t += 0.05) {
                    Vec3 eye = path.cameraAt(t).position();
                    assertThat(Math.abs(eye.x())).isLessThan(room.halfWidth() - 0.5);
                    assertThat(eye.z()).isBetween(room.back() + 0.5, room.front() - 0.5);
                }
            }
        }
    }

    @Test
    void roomsDifferInSizeShadeAndClutterAndSomeHoldBrightKnobsLikeTheTip() {
        Random random = new Random(5);
        List<Room> rooms = new ArrayList<>();
        for (int k = 0; k < 50; k++) {
            rooms.add(Room.random(random));
        }
        assertThat(rooms.stream().mapToDouble(Room::halfWidth).distinct().count()).isEqualTo(50);
        assertThat(rooms.stream().mapToInt(Room::clutter).max().orElseThrow()
                - rooms.stream().mapToInt(Room::clutter).min().orElseThrow()).isGreaterThan(10);
        assertThat(rooms.stream().map(Room::brickWalls).distinct().count()).isEqualTo(2);
        Room knobbed = rooms.stream().filter(r -> r.brightKnobs() > 0 && r.clutter() > 0).findFirst().orElseThrow();
        SatelliteMockup scene = new SatelliteMockup(knobbed, 9);
        assertThat(scene.decoys()).hasSize(MOCKUP_DECOYS + knobbed.brightKnobs());
        scene.decoys().subList(MOCKUP_DECOYS, scene.decoys().size())
                .forEach(knob -> assertThat(knob.albedo()).isGreaterThanOrEqualTo(0.7));
    }

    @Test
    void theOriginalLabHoldsItsFourteenCratesAndEightShelfBoardsAndNoBrightKnobs() {
        SatelliteMockup original = new SatelliteMockup();
        // 5 walls and floor, 14 crates and 8 shelf boards of 6 faces, the mock-up's body, two arms and two wings
        assertThat(original.faces()).hasSize(5 + (14 + 8) * 6 + 3 * 6 + 2);
        assertThat(original.decoys()).as("the mock-up's own five").hasSize(5);
    }
}

// The ptys of the container's own devpts (section kTtys, id 0): each pty pair once, by index,
// with its settings, session and foreground process group; and which open file descriptions
// (FileKind kPtyMaster / kPtySlave in records/files.h) are which end of which pty.
// Data buffered in a pty at dump time (typed but unread input, output not yet read from the
// master) is not kept.
#pragma once

#include "common/records/fields.h"

#include <boost/serialization/vector.hpp>
#include <boost/serialization/version.hpp>
#include <cstdint>
#include <vector>

namespace ckpt::records {

// struct termios2 (TCGETS2): the slave side's settings.
struct Termios {
  uint32_t iflag = 0, oflag = 0, cflag = 0, lflag = 0;
  uint8_t line = 0;
  std::vector<uint8_t> cc;  // c_cc, NCCS (19) bytes
  uint32_t ispeed = 0, ospeed = 0;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, iflag, oflag, cflag, lflag, line, cc, ispeed, ospeed);
  }
};

struct WindowSize {
  uint16_t rows = 0, cols = 0, xpixel = 0, ypixel = 0;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, rows, cols, xpixel, ypixel);
  }
};

struct Pty {
  int32_t index = 0;  // /dev/pts/<index> of the container's devpts
  Termios termios;
  WindowSize window;
  bool locked = false;       // TIOCGPTLCK: the slave cannot be opened yet
  bool packet_mode = false;  // TIOCPKT on the master
  // The container's console (ckpt run -t): its master is held outside the container, by the
  // console keeper; a restore gives it to a new keeper.
  bool console = false;
  int32_t session = 0;     // pid (in the container) of the session leader whose controlling
                           // terminal this is; 0 for none
  int32_t foreground = 0;  // its foreground process group (container pgid); 0 for none
  uint32_t slave_mode = 0620, slave_uid = 0, slave_gid = 5;  // of /dev/pts/<index>

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, index, termios, window, locked, packet_mode, console, session, foreground,
           slave_mode, slave_uid, slave_gid);
  }
};

// Which pty end an open file description (FileDescription::id) is.
struct PtyFile {
  uint64_t description = 0;
  int32_t index = 0;
  bool master = false;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, description, index, master);
  }
};

struct TtysState {
  std::vector<Pty> ptys;  // ascending index
  std::vector<PtyFile> files;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, ptys, files);
  }
};

}  // namespace ckpt::records

BOOST_CLASS_VERSION(ckpt::records::Termios, 1)
BOOST_CLASS_VERSION(ckpt::records::WindowSize, 1)
BOOST_CLASS_VERSION(ckpt::records::Pty, 1)
BOOST_CLASS_VERSION(ckpt::records::PtyFile, 1)
BOOST_CLASS_VERSION(ckpt::records::TtysState, 1)

"""Self-test of scripts/check-layers: it passes a clean tree and fails each
kind of violation, on small trees built in tmp_path."""

import os
import subprocess
import sys
import textwrap

_SCRIPT = os.path.join(os.path.dirname(__file__), '..', '..', 'scripts',
                       'check-layers')


def _WriteDoc(root, layers):
  """Writes root/doc.md with a layers block made of the given lines."""
  block = '\n'.join(layers)
  (root / 'doc.md').write_text(
      f'# Doc\n\nProse.\n\n```layers\n{block}\n```\n\nMore prose.\n')


def _MakeTree(root, layers, files):
  """Writes root/doc.md and root/src/<path> for files {path: text}."""
  _WriteDoc(root, layers)
  (root / 'src').mkdir()
  for path, text in files.items():
    target = root / 'src' / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(textwrap.dedent(text))


def _Run(root):
  """Runs the checker on the tree from its root, so that it prints paths
  relative to it; returns (exit code, output)."""
  result = subprocess.run(
      [sys.executable, os.path.abspath(_SCRIPT), '--src', str(root / 'src'),
       '--doc', str(root / 'doc.md')],
      cwd=root, capture_output=True, text=True, check=False)
  return result.returncode, result.stdout + result.stderr


_CLEAN = {
    'base/status.h': '#pragma once\n#include <string>\n',
    'mid/thing.h': '#include "base/status.h"\n#include "mid/other.h"\n',
    'mid/other.h': '#include "vendor/lib.h"\n#include "local.h"\n',
    'top/deep/main.cc': '#include "mid/thing.h"\n'
                        '  #  include "base/status.h"\n',
    'top/notes.txt': '#include "zzz/ignored.h"\n',
}


def test_clean_tree_passes(tmp_path):
  _MakeTree(tmp_path, ['base', 'mid  # comment', '', 'top', 'reserved'],
            _CLEAN)
  code, out = _Run(tmp_path)
  assert code == 0, out
  assert 'layers: 4 files, 4 includes checked, 0 violations' in out


def test_upward_include_fails_with_file_and_line(tmp_path):
  files = dict(_CLEAN)
  files['app/app.h'] = '#pragma once\n'
  files['mid/bad.cc'] = '// A comment.\n\n#include "app/app.h"\n'
  _MakeTree(tmp_path, ['base', 'mid', 'top', 'app'], files)
  code, out = _Run(tmp_path)
  assert code == 1, out
  assert 'src/mid/bad.cc:3: mid includes app/... which is above it' in out
  assert '1 violations' in out  # No cycle: app includes nothing.


def test_include_in_a_subfolder_is_checked(tmp_path):
  files = dict(_CLEAN)
  files['base/sub/x.h'] = '#include "mid/thing.h"\n'
  _MakeTree(tmp_path, ['base', 'mid', 'top'], files)
  code, out = _Run(tmp_path)
  assert code == 1, out
  assert 'src/base/sub/x.h:1: base includes mid/... which is above it' in out


def test_forbidden_pair_fails(tmp_path):
  files = dict(_CLEAN)
  files['side/a.h'] = '#include "base/status.h"\n'
  files['mid/b.h'] = '#include "side/a.h"\n'
  layers = ['base', 'side', 'mid', 'top']
  _MakeTree(tmp_path, layers, files)
  assert _Run(tmp_path)[0] == 0

  _WriteDoc(tmp_path, layers + ['!mid -> side'])
  code, out = _Run(tmp_path)
  assert code == 1, out
  assert ('src/mid/b.h:1: mid includes side/... which it may not '
          '(!mid -> side)') in out
  assert '1 violations' in out


def test_cycle_between_two_folders_fails(tmp_path):
  files = dict(_CLEAN)
  files['mid/up.cc'] = '#include "top/deep/y.h"\n'
  _MakeTree(tmp_path, ['base', 'mid', 'top'], files)
  code, out = _Run(tmp_path)
  assert code == 1, out
  assert 'cycle between folders: mid -> top -> mid' in out
  assert 'mid -> top: ' in out and 'up.cc:1: "top/deep/y.h"' in out
  assert 'top -> mid: ' in out and 'main.cc:1: "mid/thing.h"' in out
  assert '2 violations' in out  # The upward include, then the cycle.


def test_cycle_through_unlisted_folders_is_reported(tmp_path):
  files = dict(_CLEAN)
  files['x/a.h'] = '#include "y/b.h"\n'
  files['y/b.h'] = '#include "x/a.h"\n'
  _MakeTree(tmp_path, ['base', 'mid', 'top'], files)
  code, out = _Run(tmp_path)
  assert code == 1, out
  assert 'cycle between folders: x -> y -> x' in out


def test_unknown_folder_fails(tmp_path):
  files = dict(_CLEAN)
  files['newbie/n.h'] = '#include "base/status.h"\n'
  _MakeTree(tmp_path, ['base', 'mid', 'top'], files)
  code, out = _Run(tmp_path)
  assert code == 1, out
  assert 'folder newbie is not in the layers block' in out
  assert '1 violations' in out


def test_bad_block_is_an_error(tmp_path):
  _MakeTree(tmp_path, ['base', 'mid', 'base'], _CLEAN)
  code, out = _Run(tmp_path)
  assert code == 2 and 'listed twice' in out, out
  (tmp_path / 'doc.md').write_text('# Doc without a block\n')
  code, out = _Run(tmp_path)
  assert code == 2 and 'no ```layers block' in out, out

#!/usr/bin/env python3
"""Writes the tokenizer.json fixtures of test/fixtures/tokenizers/ (python3 standard library only).

Real SentencePiece vocabularies (Llama 2, Mistral, Gemma) cannot be downloaded where the tests
run, so this script derives look-alikes from the bundled byte-level tokenizer
(media/models/attn-only-2l/tokenizer.json, 2,048 tokens): every token whose bytes are valid UTF-8
becomes a piece (spaces as "▁"), the others are dropped, the specials and the 256 byte-fallback
tokens <0x00>..<0xFF> come first (ids as Llama or Gemma number them), and a merge is kept when
both its parts and its result survive. The files copy the real ones' normalizers,
pre-tokenizers, post-processors and decoders:

  llama2.json          normalizer Sequence[Prepend "▁", Replace " "→"▁"] (Llama 2, TinyLlama, Phi-3)
  gemma.json           normalizer Replace " "→"▁", no prepend (Gemma 1/2/3)
  metaspace.json       pre_tokenizer Metaspace, prepend_scheme "first" (newer Llama/Mistral)
  llama3.json          byte-level, post_processor Sequence[ByteLevel, TemplateProcessing]
  qwen.json            byte-level, NFC normalizer, post_processor ByteLevel (no BOS)

Deterministic: the same input gives byte-identical files. Run from anywhere:
  python3 training/make_tokenizers.py
"""
import json
import os

from bpe import bytes_to_unicode

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join(ROOT, 'media', 'models', 'attn-only-2l', 'tokenizer.json')
OUT = os.path.join(ROOT, 'test', 'fixtures', 'tokenizers')
SPACE = '\u2581'
# Characters real SentencePiece vocabularies hold as pieces (the byte-level source has them only
# as byte pairs); the others in the tests (한, emoji, ß, ...) go through byte fallback.
EXTRA_PIECES = ['é', '本', SPACE + 'é']
EXTRA_MERGES = [(SPACE, 'é')]
SPLIT_REGEX = ("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
               "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")


# GPT-2's printable character -> byte table: the inverse of the map the bundled tokenizer was trained with.
BYTE_OF = {c: b for b, c in bytes_to_unicode().items()}


def piece_of(token):
    """The SentencePiece piece of a byte-level token, or None (not UTF-8, or a special token)."""
    if any(ch not in BYTE_OF for ch in token):
        return None
    try:
        text = bytes(BYTE_OF[ch] for ch in token).decode('utf-8')
    except UnicodeDecodeError:
        return None
    return text.replace(' ', SPACE)


def added(id_, content):
    return {'id': id_, 'content': content, 'single_word': False, 'lstrip': False, 'rstrip': False,
            'normalized': False, 'special': True}


def template(bos, bos_id):
    seq = lambda name, type_id: {'Sequence': {'id': name, 'type_id': type_id}}
    special = lambda type_id: {'SpecialToken': {'id': bos, 'type_id': type_id}}
    return {'type': 'TemplateProcessing', 'single': [special(0), seq('A', 0)],
            'pair': [special(0), seq('A', 0), special(1), seq('B', 1)],
            'special_tokens': {bos: {'id': bos, 'ids': [bos_id], 'tokens': [bos]}}}


def sentencepiece(src, specials, keep, merges_as_lists):
    """Vocabulary and merges: specials, then <0x00>..<0xFF>, then the pieces `keep` accepts."""
    vocab = {}
    for name in specials:
        vocab[name] = len(vocab)
    for b in range(256):
        vocab['<0x%02X>' % b] = len(vocab)
    by_id = sorted(src['model']['vocab'].items(), key=lambda kv: kv[1])
    for token, _ in by_id:
        piece = piece_of(token)
        if piece is not None and keep(piece) and piece not in vocab:
            vocab[piece] = len(vocab)
    for piece in EXTRA_PIECES:
        vocab.setdefault(piece, len(vocab))
    merges = []
    for m in src['model']['merges']:
        a, b = m.split(' ', 1) if isinstance(m, str) else m
        pa, pb = piece_of(a), piece_of(b)
        if pa in vocab and pb in vocab and (pa + pb) in vocab:
            merges.append((pa, pb))
    merges += [m for m in EXTRA_MERGES if m not in merges]
    merges = [list(m) if merges_as_lists else '%s %s' % m for m in merges]
    return vocab, merges


def sp_tokenizer(src, specials, keep, normalizer, pre_tokenizer, bos, decoder, merges_as_lists):
    vocab, merges = sentencepiece(src, specials, keep, merges_as_lists)
    unk = '<unk>'
    return {
        'version': '1.0', 'truncation': None, 'padding': None,
        'added_tokens': [added(vocab[name], name) for name in specials],
        'normalizer': normalizer, 'pre_tokenizer': pre_tokenizer,
        'post_processor': template(bos, vocab[bos]), 'decoder': decoder,
        'model': {'type': 'BPE', 'dropout': None, 'unk_token': unk, 'continuing_subword_prefix': None,
                  'end_of_word_suffix': None, 'fuse_unk': True, 'byte_fallback': True,
                  'ignore_merges': False, 'vocab': vocab, 'merges': merges},
    }


def replace(a, b):
    return {'type': 'Replace', 'pattern': {'String': a}, 'content': b}


def sp_decoder(strip):
    steps = [replace(SPACE, ' '), {'type': 'ByteFallback'}, {'type': 'Fuse'}]
    if strip:
        steps.append({'type': 'Strip', 'content': ' ', 'start': 1, 'stop': 0})
    return {'type': 'Sequence', 'decoders': steps}


def byte_level(src, extra_added, normalizer, post_processor, ignore_merges):
    out = json.loads(json.dumps(src))
    base = len(out['model']['vocab'])
    for i, name in enumerate(extra_added):
        out['added_tokens'].append(added(base + i, name))
    out['normalizer'] = normalizer
    out['pre_tokenizer'] = {'type': 'Sequence', 'pretokenizers': [
        {'type': 'Split', 'pattern': {'Regex': SPLIT_REGEX}, 'behavior': 'Isolated', 'invert': False},
        {'type': 'ByteLevel', 'add_prefix_space': False, 'trim_offsets': True, 'use_regex': False}]}
    out['post_processor'] = post_processor
    out['model']['ignore_merges'] = ignore_merges
    return out


def main():
    with open(SOURCE, encoding='utf-8') as f:
        src = json.load(f)
    no_newlines = lambda p: '\n' not in p and '\r' not in p  # Llama 2 has <0x0A>, not "\n" pieces
    llama = ['<unk>', '<s>', '</s>']
    files = {
        'llama2.json': sp_tokenizer(
            src, llama, no_newlines,
            {'type': 'Sequence', 'normalizers': [{'type': 'Prepend', 'prepend': SPACE}, replace(' ', SPACE)]},
            None, '<s>', sp_decoder(True), False),
        'gemma.json': sp_tokenizer(
            src, ['<pad>', '<eos>', '<bos>', '<unk>'], lambda p: True, replace(' ', SPACE),
            {'type': 'Split', 'pattern': {'String': ' '}, 'behavior': 'MergedWithPrevious', 'invert': False},
            '<bos>', sp_decoder(False), True),
        'metaspace.json': sp_tokenizer(
            src, llama, no_newlines, None,
            {'type': 'Metaspace', 'replacement': SPACE, 'prepend_scheme': 'first', 'split': False},
            '<s>', {'type': 'Metaspace', 'replacement': SPACE, 'prepend_scheme': 'first', 'split': False}, True),
        'llama3.json': byte_level(
            src, ['<|begin_of_text|>', '<|end_of_text|>'], None,
            {'type': 'Sequence', 'processors': [
                {'type': 'ByteLevel', 'add_prefix_space': True, 'trim_offsets': False, 'use_regex': True},
                template('<|begin_of_text|>', len(src['model']['vocab']))]},
            True),
        'qwen.json': byte_level(
            src, ['<|endoftext|>', '<|im_start|>', '<|im_end|>'], {'type': 'NFC'},
            {'type': 'ByteLevel', 'add_prefix_space': False, 'trim_offsets': False, 'use_regex': False},
            False),
    }
    os.makedirs(OUT, exist_ok=True)
    for name, tok in files.items():
        with open(os.path.join(OUT, name), 'w', encoding='utf-8', newline='\n') as f:
            json.dump(tok, f, ensure_ascii=False, separators=(',', ':'))
            f.write('\n')
        print('%s: %d tokens, %d merges' % (name, len(tok['model']['vocab']) + sum(
            1 for t in tok['added_tokens'] if t['content'] not in tok['model']['vocab']), len(tok['model']['merges'])))


if __name__ == '__main__':
    main()

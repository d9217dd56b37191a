import { describe, expect, it } from '@jest/globals';
import { sniffDelimiter } from './sniff-delimiter';

describe('sniffDelimiter', () => {
  it.each([
    ['comma', 'a,b,c\n1,2,3\n4,5,6\n', ','],
    ['semicolon with decimal commas', 'name;price;qty\nx;1,5;2\ny;2,25;3\n', ';'],
    ['tab', 'a\tb\n1\t2\n', '\t'],
    ['pipe', 'a|b|c\n1|2|3\n', '|'],
    ['commas inside quoted fields', 'a;b\n"x,y,z";1\n"p,q";2\n', ';'],
    ['one column', 'value\n1\n2\n', ','],
  ])('detects %s', (_name, text, delimiter) => {
    expect(sniffDelimiter(text, true)).toBe(delimiter);
  });

  it('ignores a last line cut by the sample', () => {
    expect(sniffDelimiter('a;b\n1;2\n3;4\nx,y,z,w,v,u,t', false)).toBe(';');
  });
});

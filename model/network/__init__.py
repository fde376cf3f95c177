"""The network: BertSum inputs, the encoder, the sentence-scoring head and its extra features."""
